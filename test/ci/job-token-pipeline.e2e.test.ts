import { setTimeout as delay } from 'node:timers/promises';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../src/store/schema.ts';
import { ENGINES } from '../support/databases.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import {
  call,
  cloneUrl,
  finishedJobs,
  git,
  latestPipeline,
  personWithPat,
  projectOf,
  pushFiles,
  registerRunner,
  spawnRunnerCli,
  startCiInstance,
  type CiActor,
} from './ci-world.ts';

describe.each(ENGINES)(
  'on %s, a push runs a pipeline whose job uses its job token, which dies with the job',
  (engine) => {
    let instance: TestInstance;
    let alice: CiActor;
    let project: Project;
    let scratch: string;

    beforeAll(async () => {
      instance = await startCiInstance(`ci-job-token-e2e-${engine}`, { engine });
      const admin = await personWithPat(instance, { is_admin: 1 });
      alice = await personWithPat(instance);
      project = await projectOf(instance, alice.user, { path: 'app' });
      const runner = await registerRunner(instance, admin.pat);
      scratch = mkdtempSync(join(tmpdir(), 'tessera-token-file-'));

      const host = new URL(instance.url).host;
      await pushFiles(instance, project, alice, {
        'README.md': '# app\n',
        '.gitlab-ci.yml': `
check:
  variables:
    TOKEN_FILE: ${join(scratch, 'token')}
  script:
    - printf '%s' "$CI_JOB_TOKEN" > "$TOKEN_FILE"
    - git clone --quiet "http://gitlab-ci-token:\${CI_JOB_TOKEN}@${host}/${project.full_path}.git" second
    - test -f second/README.md
    - 'curl -sf -H "JOB-TOKEN: $CI_JOB_TOKEN" "$CI_API_V4_URL/job" > job.json'
    - cat job.json
    - echo "the token is $CI_JOB_TOKEN"
`,
      });
      const pipeline = await latestPipeline(instance, project);
      expect(pipeline.yaml_errors).toBeNull();
      const cli = spawnRunnerCli(instance, runner.token);
      const exited = once(cli, 'exit') as Promise<[number]>;
      try {
        await finishedJobs(instance, pipeline);
      } finally {
        // The server sees the job finish a moment before `runner run --once` exits on its own: give
        // it that moment rather than killing it mid-exit.
        if (cli.exitCode === null) await Promise.race([exited, delay(15_000)]);
        if (cli.exitCode === null) cli.kill();
      }
      const [code] = await exited;
      expect(code).toBe(0);
    });
    afterAll(async () => {
      rmSync(scratch, { recursive: true, force: true });
      await instance.stop();
    });

    it('starts a push pipeline for the pushed commit, and the job succeeds', async () => {
      const pipeline = await latestPipeline(instance, project);
      expect(pipeline).toMatchObject({ source: 'push', ref: 'main', user_id: alice.user.id });
      const [job] = await finishedJobs(instance, pipeline);
      expect(job).toMatchObject({ name: 'check', status: 'success' });

      const shown = await call(instance, 'GET', `/api/v4/projects/${project.id}/pipelines/${pipeline.id}`, {
        token: alice.pat,
      });
      expect(shown.status).toBe(200);
      expect(shown.body).toMatchObject({
        id: pipeline.id,
        status: 'success',
        source: 'push',
        yaml_errors: null,
      });
    });

    it('let the job clone the repository and read GET /api/v4/job with its token, masked in the log', async () => {
      const pipeline = await latestPipeline(instance, project);
      const [job] = await finishedJobs(instance, pipeline);
      const token = rememberSecret(readFileSync(join(scratch, 'token'), 'utf8'));
      expect(token).toMatch(/^glcbt-/);

      const response = await fetch(`${instance.url}/api/v4/projects/${project.id}/jobs/${job!.id}/trace`, {
        headers: { 'private-token': alice.pat },
      });
      expect(response.status).toBe(200);
      const log = await response.text();
      expect(log).toContain('$ git clone --quiet');
      expect(log).toContain(`"id":${job!.id}`);
      expect(log).toContain('"status":"running"');
      expect(log).toContain('the token is [MASKED]');
      expect(log).not.toContain(token);
    });

    it('refuses the dead token on git and on the API', async () => {
      const token = rememberSecret(readFileSync(join(scratch, 'token'), 'utf8'));
      const clone = await git(['ls-remote', cloneUrl(instance, project, 'gitlab-ci-token', token)]);
      expect(clone.code).not.toBe(0);
      expect(clone.stderr).toMatch(/Authentication failed|401/);

      const api = await call(instance, 'GET', '/api/v4/job', { headers: { 'job-token': token } });
      expect(api).toMatchObject({ status: 401, body: { message: '401 Unauthorized' } });
    });

    it('audits the token: created when the runner took the job, expired when it finished', async () => {
      const pipeline = await latestPipeline(instance, project);
      const [job] = await finishedJobs(instance, pipeline);
      const actions = await instance.context.db
        .selectFrom('audit_events')
        .select(['action', 'details'])
        .where('entity_type', '=', 'ci_job')
        .where('entity_id', '=', String(job!.id))
        .orderBy('id')
        .execute();
      expect(actions.map((a) => a.action)).toEqual(['ci_job_token.created', 'ci_job_token.expired']);
    });
  },
);
