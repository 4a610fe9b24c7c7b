import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../src/store/schema.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import {
  call,
  cloneUrl,
  git,
  latestPipeline,
  personWithPat,
  projectOf,
  pushFiles,
  registerRunner,
  startCiInstance,
  type CiActor,
} from '../ci/ci-world.ts';

/*
 * A runner keeps presenting the tokens of jobs that have ended (a late trace upload, a retried
 * clone). Those are tokens this instance issued, not guesses: they are refused, but never counted
 * towards the brute-force lockout of the runner's address — on the API, git and the registry alike.
 */

const LIMIT = 3;

describe('ended job tokens never lock out the runner that holds them', () => {
  let instance: TestInstance;
  let alice: CiActor;
  let project: Project;
  let runnerToken: string;
  let endedToken: string;

  beforeAll(async () => {
    instance = await startCiInstance('ended-job-tokens', {
      env: { TESSERA_AUTH_FAILURE_LIMIT: String(LIMIT), TESSERA_CI_RUNNER_LONG_POLL: '1' },
    });
    const admin = await personWithPat(instance, { is_admin: 1 });
    alice = await personWithPat(instance);
    project = await projectOf(instance, alice.user);
    runnerToken = (await registerRunner(instance, admin.pat, { runner_type: 'instance_type' })).token;
    await pushFiles(instance, project, alice, { '.gitlab-ci.yml': 'build:\n  script: [echo hi]\n' });
    await latestPipeline(instance, project);
    const taken = await call(instance, 'POST', '/api/v4/jobs/request', { body: { token: runnerToken } });
    endedToken = rememberSecret(taken.body.token);
    const finished = await call(instance, 'PUT', `/api/v4/jobs/${taken.body.id}`, {
      body: { token: endedToken, state: 'success' },
    });
    expect(finished.status).toBe(200);
  });
  afterAll(() => instance.stop());

  it('refuses an ended token with 401 however often it comes, and still locks out guesses', async () => {
    for (let attempt = 0; attempt < LIMIT * 3; attempt += 1) {
      const api = await call(instance, 'GET', '/api/v4/job', { headers: { 'job-token': endedToken } });
      expect(api.status).toBe(401);
      const clone = await git(['ls-remote', cloneUrl(instance, project, 'gitlab-ci-token', endedToken)]);
      expect(clone.stderr).not.toContain('429');
      const basic = Buffer.from(`gitlab-ci-token:${endedToken}`).toString('base64');
      const registry = await fetch(
        `${instance.url}/jwt/auth?service=container_registry&scope=repository:${project.full_path}:pull`,
        { headers: { authorization: `Basic ${basic}` } },
      );
      expect(registry.status).toBe(401);
    }
    // The runner itself is not locked out.
    expect(
      (await call(instance, 'POST', '/api/v4/jobs/request', { body: { token: runnerToken } })).status,
    ).toBe(204);

    // A guessed job token still counts: past the limit the address is locked out.
    const guessed = `glcbt-${'x'.repeat(40)}`;
    const statuses: number[] = [];
    for (let attempt = 0; attempt <= LIMIT; attempt += 1) {
      statuses.push(
        (await call(instance, 'GET', '/api/v4/job', { headers: { 'job-token': guessed } })).status,
      );
    }
    expect(statuses.at(-1)).toBe(429);
  });
});
