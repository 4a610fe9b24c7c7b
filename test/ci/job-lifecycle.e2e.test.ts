import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../src/store/schema.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import {
  call,
  cloneUrl,
  eventually,
  finishedJobs,
  git,
  latestPipeline,
  newestPipelineId,
  personWithPat,
  projectOf,
  pushFiles,
  registerRunner,
  startCiInstance,
  startRunner,
  type CiActor,
} from './ci-world.ts';

const readToken = (file: string) =>
  eventually(async () => {
    try {
      return readFileSync(file, 'utf8') || undefined;
    } catch {
      return undefined;
    }
  });

describe('a job’s end is its token’s end', () => {
  let instance: TestInstance;
  let alice: CiActor;
  let project: Project;
  let out: string;
  let runner: { stop(): Promise<void> };
  let workTree: string | undefined;

  async function push(config: string) {
    const before = await newestPipelineId(instance, project);
    workTree = (
      await pushFiles(instance, project, alice, { '.gitlab-ci.yml': config }, workTree ? { workTree } : {})
    ).workTree;
    return latestPipeline(instance, project, before);
  }

  beforeAll(async () => {
    instance = await startCiInstance('ci-job-lifecycle');
    const admin = await personWithPat(instance, { is_admin: 1 });
    alice = await personWithPat(instance);
    project = await projectOf(instance, alice.user, { path: 'lifecycle' });
    out = mkdtempSync(join(tmpdir(), 'tessera-lifecycle-'));
    runner = startRunner(instance, (await registerRunner(instance, admin.pat)).token, 'lifecycle-runner');
  });
  afterAll(async () => {
    await runner.stop();
    rmSync(out, { recursive: true, force: true });
    await instance.stop();
  });

  it('fails a job that exceeds its timeout, and its token dies', async () => {
    const pipeline = await push(`
slow:
  timeout: 3s
  script:
    - printf '%s' "$CI_JOB_TOKEN" > ${out}/slow.token
    - sleep 30
`);
    const token = rememberSecret(await readToken(join(out, 'slow.token')));
    const [job] = await finishedJobs(instance, pipeline, 20_000);
    expect(job).toMatchObject({ status: 'failed', failure_reason: 'job_execution_timeout' });
    expect(await call(instance, 'GET', '/api/v4/job', { headers: { 'job-token': token } })).toMatchObject({
      status: 401,
      body: { message: '401 Unauthorized' },
    });
    expect((await git(['ls-remote', cloneUrl(instance, project, 'gitlab-ci-token', token)])).code).not.toBe(
      0,
    );
    const shown = await call(instance, 'GET', `/api/v4/projects/${project.id}/jobs/${job!.id}`, {
      token: alice.pat,
    });
    expect(shown.body).toMatchObject({
      status: 'failed',
      failure_reason: 'job_execution_timeout',
      timeout: 3,
    });
    const pipelineShown = await call(
      instance,
      'GET',
      `/api/v4/projects/${project.id}/pipelines/${pipeline.id}`,
      {
        token: alice.pat,
      },
    );
    expect(pipelineShown.body.status).toBe('failed');
  });

  it('kills a canceled job on the runner, and its token dies at once', async () => {
    const pipeline = await push(`
stages: [build, deploy]
endless:
  stage: build
  script:
    - printf '%s' "$CI_JOB_TOKEN" > ${out}/endless.token
    - 'while true; do date +%s%N > ${out}/endless.beat; sleep 0.2; done'
later:
  stage: deploy
  script: [echo never]
`);
    const token = rememberSecret(await readToken(join(out, 'endless.token')));
    const job = await instance.context.db
      .selectFrom('ci_jobs')
      .selectAll()
      .where('pipeline_id', '=', pipeline.id)
      .where('name', '=', 'endless')
      .executeTakeFirstOrThrow();
    expect((await call(instance, 'GET', '/api/v4/job', { headers: { 'job-token': token } })).status).toBe(
      200,
    );

    const canceled = await call(instance, 'POST', `/api/v4/projects/${project.id}/jobs/${job.id}/cancel`, {
      token: alice.pat,
    });
    expect(canceled).toMatchObject({ status: 200, body: { id: job.id, status: 'canceled' } });
    expect(await call(instance, 'GET', '/api/v4/job', { headers: { 'job-token': token } })).toMatchObject({
      status: 401,
    });

    const jobs = await finishedJobs(instance, pipeline);
    expect(jobs.map((j) => [j.name, j.status])).toEqual([
      ['endless', 'canceled'],
      ['later', 'skipped'],
    ]);
    expect((await latestPipeline(instance, project)).status).toBe('canceled');
    // The runner notices on its next log upload and kills the script: the heartbeat stops.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const beat = readFileSync(join(out, 'endless.beat'), 'utf8');
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(readFileSync(join(out, 'endless.beat'), 'utf8')).toBe(beat);
  });

  it.each([
    ['a YAML syntax error', 'job:\n  script: [unclosed\n', /yaml syntax error/],
    [
      'an unknown keyword',
      'job:\n  script: [echo]\n  artifacts: {paths: [x]}\n',
      /jobs:job config contains unknown keys: artifacts/,
    ],
    [
      'id_tokens without aud',
      'job:\n  script: [echo]\n  id_tokens:\n    AWS_TOKEN: {}\n',
      /jobs:job:id_tokens:AWS_TOKEN config missing required keys: aud/,
    ],
  ])('fails the pipeline on %s with a clear message and creates no job', async (_case, config, message) => {
    const pipeline = await push(config);
    expect(pipeline.status).toBe('failed');
    expect(pipeline.yaml_errors).toMatch(message);
    const jobs = await instance.context.db
      .selectFrom('ci_jobs')
      .select('id')
      .where('pipeline_id', '=', pipeline.id)
      .execute();
    expect(jobs).toEqual([]);
    const shown = await call(instance, 'GET', `/api/v4/projects/${project.id}/pipelines/${pipeline.id}`, {
      token: alice.pat,
    });
    expect(shown).toMatchObject({
      status: 200,
      body: { status: 'failed', yaml_errors: expect.stringMatching(message) },
    });
  });
});
