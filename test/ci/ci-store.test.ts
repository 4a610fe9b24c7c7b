import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Digester } from '../../src/crypto/secrets.ts';
import { JobTokenAuthenticator } from '../../src/tokens/job/job-token.authenticator.ts';
import { JobTokenCache } from '../../src/tokens/job/job-token-cache.ts';
import { mintJobToken } from '../../src/tokens/job/job-token-secret.ts';
import { ManualClock } from '../../src/util/clock.ts';
import {
  appendJobTrace,
  findJobAndUserByTokenDigest,
  findJobByTokenDigest,
  insertJob,
  transitionJob,
} from '../../src/store/ci-jobs.repository.ts';
import { findJobContext, insertPipeline } from '../../src/store/ci-pipelines.repository.ts';
import { insertRunner } from '../../src/store/ci-runners.repository.ts';
import { findUserById } from '../../src/store/users.repository.ts';
import { ciSettingsOf, updateCiSettings } from '../../src/store/ci-settings.repository.ts';
import {
  allowlistAdmits,
  countLinks,
  deleteProjectLink,
  insertGroupLink,
  insertProjectLink,
  listJobTokenAuthorizations,
  recordJobTokenAuthorization,
} from '../../src/store/job-token-scope.repository.ts';
import type { Project } from '../../src/store/schema.ts';
import { ENGINES, createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createGroup, createProject, createUser } from '../support/world.ts';

const AT = '2026-03-01T12:00:00.000Z';

describe.each(ENGINES)('CI store on %s', (engine) => {
  let store: TestDatabase;
  let project: Project;
  let other: Project;

  beforeAll(async () => {
    store = await createTestDatabase(engine);
    const group = await createGroup(store.db);
    project = await createProject(store.db, group);
    other = await createProject(store.db, await createGroup(store.db));
  });
  afterAll(async () => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    await store.destroy();
  });

  const newJob = async (status: 'pending' | 'created' = 'pending') => {
    const pipeline = await insertPipeline(store.db, {
      project_id: project.id,
      ref: 'main',
      tag: 0,
      sha: 'a'.repeat(40),
      before_sha: '0'.repeat(40),
      source: 'push',
      status: 'pending',
      user_id: null,
      yaml_errors: null,
      created_at: AT,
      started_at: null,
      finished_at: null,
    });
    return insertJob(store.db, {
      pipeline_id: pipeline.id,
      project_id: project.id,
      name: 'build',
      stage: 'test',
      stage_idx: 1,
      status,
      failure_reason: null,
      user_id: null,
      runner_id: null,
      definition: '{}',
      tag_list: '[]',
      timeout_seconds: 60,
      token_digest: null,
      created_at: AT,
      queued_at: AT,
      started_at: null,
      finished_at: null,
    });
  };

  it('gives a project the default CI settings until it changes one', async () => {
    expect(await ciSettingsOf(store.db, project.id)).toMatchObject({
      job_token_inbound_enabled: 1,
      id_token_sub_claim_components: null,
      legacy_job_jwt_enabled: 0,
      job_timeout_seconds: 3600,
    });
    await updateCiSettings(store.db, project.id, { legacy_job_jwt_enabled: 1 }, AT);
    await updateCiSettings(store.db, project.id, { job_timeout_seconds: 600 }, AT);
    expect(await ciSettingsOf(store.db, project.id)).toMatchObject({
      legacy_job_jwt_enabled: 1,
      job_timeout_seconds: 600,
      job_token_inbound_enabled: 1,
    });
  });

  it('lets exactly one of two racing transitions win a pending job', async () => {
    const job = await newJob();
    const [first, second] = await Promise.all([
      transitionJob(store.db, job.id, ['pending'], {
        status: 'running',
        token_digest: 'digest-a',
        runner_id: null,
      }),
      transitionJob(store.db, job.id, ['pending'], {
        status: 'running',
        token_digest: 'digest-b',
        runner_id: null,
      }),
    ]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    const winner = (first ?? second)!;
    expect((await findJobByTokenDigest(store.db, winner.token_digest!))?.id).toBe(job.id);
  });

  it('finds a job with its user by token digest, and its pipeline, project and runner in one query', async () => {
    const user = await createUser(store.db, { username: `ci-${engine}` });
    const job = await newJob();
    await store.db
      .updateTable('ci_jobs')
      .set({ user_id: user.id, token_digest: `digest-${job.id}` })
      .where('id', '=', job.id)
      .execute();
    const found = await findJobAndUserByTokenDigest(store.db, `digest-${job.id}`);
    expect(found?.job).toMatchObject({
      id: job.id,
      status: 'pending',
      timeout_seconds: 60,
      user_id: user.id,
    });
    expect(found?.user).toEqual(await findUserById(store.db, user.id));
    expect(await findJobAndUserByTokenDigest(store.db, 'no-such-digest')).toBeUndefined();

    const runner = await insertRunner(store.db, {
      runner_type: 'instance_type',
      project_id: null,
      description: 'r',
      token_digest: `runner-${engine}`,
      environment: 'self-hosted',
      tag_list: '[]',
      run_untagged: 1,
      paused: 0,
      created_by_id: null,
      created_at: AT,
      contacted_at: null,
    });
    const withRunner = await findJobContext(store.db, job.pipeline_id, runner.id);
    expect(withRunner).toMatchObject({
      pipeline: { id: job.pipeline_id, project_id: project.id, status: 'pending' },
      projectFullPath: project.full_path,
      runner: { id: runner.id, description: 'r' },
    });
    expect(withRunner?.pipeline).not.toHaveProperty('project__full_path');
    expect((await findJobContext(store.db, job.pipeline_id, null))?.runner).toBeUndefined();
  });

  it('accepts a job token exactly while its job runs, and never after its project is deleted', async () => {
    const clock = new ManualClock(AT);
    const digester = new Digester(randomBytes(32));
    // The store decides on every request here (no verified-job cache): the changes below are made in
    // SQL, behind the services that evict (test/tokens/job-token-cache.test.ts covers those).
    const cache = new JobTokenCache(clock, 0);
    const authenticator = new JobTokenAuthenticator({
      db: store.db,
      clock,
      digester,
      tokenPrefix: '',
      cache,
    });
    const user = await createUser(store.db);
    const doomed = await createProject(store.db, await createGroup(store.db));
    const token = mintJobToken('');
    const job = await newJob();
    await store.db
      .updateTable('ci_jobs')
      .set({
        status: 'running',
        started_at: AT,
        timeout_seconds: 60,
        user_id: user.id,
        project_id: doomed.id,
        token_digest: digester.digest(token),
      })
      .where('id', '=', job.id)
      .execute();
    const principal = await authenticator.authenticate(token);
    expect(principal).toMatchObject({
      user: { id: user.id },
      credential: { kind: 'ci_job_token', id: job.id },
    });
    expect(await principal!.credential.projectScope!.allows(doomed.id)).toBe(true);
    expect(await principal!.credential.projectScope!.allows(other.id)).toBe(false);
    expect(await authenticator.authenticate(token.slice(0, -1) + 'x')).toBeNull();

    clock.advance(59);
    expect(await authenticator.authenticate(token)).not.toBeNull();
    clock.advance(1);
    expect(await authenticator.authenticate(token)).toBeNull();
    clock.set(AT);
    await store.db.updateTable('users').set({ state: 'blocked' }).where('id', '=', user.id).execute();
    expect(await authenticator.authenticate(token)).toBeNull();
    await store.db.updateTable('users').set({ state: 'active' }).where('id', '=', user.id).execute();
    expect(await authenticator.authenticate(token)).not.toBeNull();
    await store.db.deleteFrom('projects').where('id', '=', doomed.id).execute();
    expect(await authenticator.authenticate(token)).toBeNull();
  });

  it('appends to a job log only at its current length', async () => {
    const job = await newJob();
    expect(await appendJobTrace(store.db, job.id, 0, 'hello ')).toBe(6);
    expect(await appendJobTrace(store.db, job.id, 0, 'again')).toBeUndefined();
    expect(await appendJobTrace(store.db, job.id, 6, 'world')).toBe(11);
  });

  it('admits an origin project by itself or by one of its groups', async () => {
    const group = await createGroup(store.db);
    expect(await allowlistAdmits(store.db, project.id, other.id, [other.namespace_id])).toBe(false);
    await insertProjectLink(store.db, {
      sourceProjectId: project.id,
      targetProjectId: other.id,
      addedById: null,
      createdAt: AT,
    });
    expect(await allowlistAdmits(store.db, project.id, other.id, [other.namespace_id])).toBe(true);
    await deleteProjectLink(store.db, project.id, other.id);
    expect(await allowlistAdmits(store.db, project.id, other.id, [other.namespace_id])).toBe(false);
    await insertGroupLink(store.db, {
      sourceProjectId: project.id,
      targetGroupId: group.id,
      addedById: null,
      createdAt: AT,
    });
    expect(await allowlistAdmits(store.db, project.id, other.id, [other.namespace_id, group.id])).toBe(true);
    expect(await countLinks(store.db, project.id)).toBe(1);
  });

  it('keeps one authentication-log row per pair, with the last time and a count', async () => {
    await recordJobTokenAuthorization(store.db, project.id, other.id, AT);
    await recordJobTokenAuthorization(store.db, project.id, other.id, '2026-03-02T00:00:00.000Z');
    expect(await listJobTokenAuthorizations(store.db, project.id)).toEqual([
      expect.objectContaining({
        origin_project_id: other.id,
        last_authorized_at: '2026-03-02T00:00:00.000Z',
        count: 2,
      }),
    ]);
  });
});
