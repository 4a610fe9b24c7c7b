import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/audit/audit-log.ts';
import { finishJob, type FinishJobDeps } from '../../src/ci/finish-job.ts';
import { JobQueueSignal } from '../../src/ci/job-queue.ts';
import { Digester } from '../../src/crypto/secrets.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { insertJob } from '../../src/store/ci-jobs.repository.ts';
import { insertPipeline } from '../../src/store/ci-pipelines.repository.ts';
import { openDatabase, type Db } from '../../src/store/database.ts';
import type { Project, User } from '../../src/store/schema.ts';
import { updateUser } from '../../src/store/users.repository.ts';
import { JobTokenAuthenticator } from '../../src/tokens/job/job-token.authenticator.ts';
import {
  forgetJobsOfUser,
  JOB_TOKEN_CACHE_TTL_MS,
  jobTokenCacheFor,
} from '../../src/tokens/job/job-token-cache.ts';
import { mintJobToken } from '../../src/tokens/job/job-token-secret.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { ENGINES, createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { createGroup, createProject, createUser } from '../support/world.ts';

const AT = '2026-03-01T12:00:00.000Z';

/*
 * Two replicas of one instance on one database: each has its own store handle, and so its own
 * verified-job cache. The clock is frozen, so a cached job only goes away when something evicts it
 * or the clock is moved past the TTL.
 */
describe.each(ENGINES)('the verified-job cache on %s', (engine) => {
  const clock = new ManualClock(AT);
  const digester = new Digester(randomBytes(32));
  let store: TestDatabase;
  let otherReplica: Db;
  let project: Project;

  beforeAll(async () => {
    store = await createTestDatabase(engine);
    otherReplica = openDatabase(store.url);
    project = await createProject(store.db, await createGroup(store.db));
  });
  afterAll(async () => {
    await otherReplica.destroy();
    await store.destroy();
  });

  const authenticatorOn = (db: Db) =>
    new JobTokenAuthenticator({
      db,
      clock,
      digester,
      tokenPrefix: '',
      cache: jobTokenCacheFor(db, clock, JOB_TOKEN_CACHE_TTL_MS),
    });
  const finishDeps = (): FinishJobDeps => ({
    db: store.db,
    clock,
    queue: new JobQueueSignal(),
    logger: createLogger({ level: 'silent' }),
  });

  const runningJob = async (user: User) => {
    const pipeline = await insertPipeline(store.db, {
      project_id: project.id,
      ref: 'main',
      tag: 0,
      sha: 'a'.repeat(40),
      before_sha: '0'.repeat(40),
      source: 'push',
      status: 'running',
      user_id: user.id,
      yaml_errors: null,
      created_at: AT,
      started_at: AT,
      finished_at: null,
    });
    const token = mintJobToken('');
    const job = await insertJob(store.db, {
      pipeline_id: pipeline.id,
      project_id: project.id,
      name: 'build',
      stage: 'test',
      stage_idx: 1,
      status: 'running',
      failure_reason: null,
      user_id: user.id,
      runner_id: null,
      definition: '{}',
      tag_list: '[]',
      timeout_seconds: 3600,
      token_digest: digester.digest(token),
      created_at: AT,
      queued_at: AT,
      started_at: AT,
      finished_at: null,
    });
    return { job, token };
  };

  it('refuses a finished job’s token on its very next request here, and on another replica once the TTL has passed', async () => {
    clock.set(AT);
    const here = authenticatorOn(store.db);
    const there = authenticatorOn(otherReplica);
    const { job, token } = await runningJob(await createUser(store.db));
    for (const replica of [here, there, here, there]) {
      expect(await replica.authenticate(token)).toMatchObject({ credential: { id: job.id } });
    }

    expect(await finishJob(finishDeps(), job, { status: 'success' }, SYSTEM_ACTOR)).toMatchObject({
      status: 'success',
    });
    expect(await here.authenticate(token)).toBeNull();
    // The other replica heard nothing: it trusts its entry for the documented bound, not a moment longer.
    clock.advance(JOB_TOKEN_CACHE_TTL_MS / 1000 - 0.001);
    expect(await there.authenticate(token)).not.toBeNull();
    clock.advance(0.001);
    expect(await there.authenticate(token)).toBeNull();
    // An ended token is still one this instance issued (never counted as a guess).
    expect(await here.wasIssued(token)).toBe(true);
  });

  it('checks the job’s deadline on every hit', async () => {
    clock.set(AT);
    const here = authenticatorOn(store.db);
    const { token } = await runningJob(await createUser(store.db));
    // Half a second before the job's hour is up: stored now, the entry would live on past the deadline.
    clock.advance(3600 - 0.5);
    expect(await here.authenticate(token)).not.toBeNull();
    clock.advance(0.4);
    expect(await here.authenticate(token)).not.toBeNull();
    clock.advance(0.1);
    expect(await here.authenticate(token)).toBeNull();
  });

  it('drops the jobs of a user who can no longer act, at once', async () => {
    clock.set(AT);
    const here = authenticatorOn(store.db);
    const user = await createUser(store.db);
    const { token } = await runningJob(user);
    expect(await here.authenticate(token)).not.toBeNull();
    await updateUser(store.db, user.id, { state: 'blocked' });
    forgetJobsOfUser(store.db, user.id);
    expect(await here.authenticate(token)).toBeNull();
  });

  it('does not keep a job read before an eviction that raced the read', async () => {
    clock.set(AT);
    const cache = jobTokenCacheFor(store.db, clock);
    const user = await createUser(store.db);
    const { job } = await runningJob(user);
    const generation = cache.generation;
    // The job ends (and is evicted) while a request still holds the row it read as running.
    cache.forgetJob(job.id);
    cache.set('digest-read-before-the-end', { job, user }, generation);
    expect(cache.get('digest-read-before-the-end')).toBeUndefined();
    cache.set('digest-read-before-the-end', { job, user }, cache.generation);
    expect(cache.get('digest-read-before-the-end')).toMatchObject({ job: { id: job.id } });
    cache.forgetJob(job.id);
    expect(cache.get('digest-read-before-the-end')).toBeUndefined();
  });
});
