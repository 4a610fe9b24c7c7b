import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmptyDatabaseUrl } from '../support/databases.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { createGroup, createProject, createRunningJob, createUser } from '../support/world.ts';
import { mintJobToken } from '../../src/tokens/job/job-token-secret.ts';
import { call, depsOf, givePat } from '../tokens/token-fixtures.ts';
import { sleep } from './support/load.ts';

const REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The documented bound, shortened for the test (`TESSERA_TOKEN_CACHE_TTL`, 30 s by default). */
const CACHE_TTL_SECONDS = 1;
/** The verified-job cache's documented bound, as shipped (`TESSERA_JOB_TOKEN_CACHE_TTL_MS`). */
const JOB_CACHE_TTL_MS = 2000;

/*
 * Two replicas of one instance on one PostgreSQL database and one Redis, no load balancer: the test
 * alternates between them as a balancer would.
 */
describe('two instance replicas on one PostgreSQL', () => {
  let database: { url: string; drop(): Promise<void> };
  let replicas: [TestInstance, TestInstance];

  beforeAll(async () => {
    database = await createEmptyDatabaseUrl('postgres');
    const env = {
      TESSERA_DATABASE_URL: database.url,
      TESSERA_REDIS_URL: REDIS_URL,
      TESSERA_EXTERNAL_URL: `https://replicas-${randomBytes(4).toString('hex')}.example`,
      TESSERA_DIGEST_SECRET: rememberSecret(randomBytes(32).toString('base64url')),
      TESSERA_KEY_ENCRYPTION_KEY: rememberSecret(randomBytes(32).toString('base64url')),
      TESSERA_TOKEN_CACHE_TTL: String(CACHE_TTL_SECONDS),
    };
    // Both start at once, as a rollout would: the first creates the keys under the advisory lock.
    replicas = (await Promise.all([
      startTestInstance({ name: 'replica-a', env }),
      startTestInstance({ name: 'replica-b', env }),
    ])) as [TestInstance, TestInstance];
  });
  afterAll(async () => {
    for (const replica of replicas ?? []) {
      // Each owns a throwaway database of its own; the shared one is dropped below.
      await replica.stop();
    }
    await sleep(200);
    await database.drop();
  });

  it('serve the same keys and the same tokens', async () => {
    const [a, b] = replicas;
    const [jwksA, jwksB] = await Promise.all([
      call(a, 'GET', '/oauth/discovery/keys'),
      call(b, 'GET', '/oauth/discovery/keys'),
    ]);
    expect(jwksA.body).toEqual(jwksB.body);
    expect(jwksA.body.keys).toHaveLength(2);
    const user = await createUser(a.context.db);
    const { plaintext } = await givePat(depsOf(a), user, ['api']);
    for (const replica of [a, b, a, b]) {
      expect((await call(replica, 'GET', '/api/v4/user', { token: plaintext })).status).toBe(200);
    }
  });

  it(`reject a token revoked on one replica on the other within the cache TTL (${CACHE_TTL_SECONDS} s)`, async () => {
    const [a, b] = replicas;
    const user = await createUser(a.context.db);
    const { plaintext } = await givePat(depsOf(a), user, ['api']);
    // Alternate so that both replicas hold the token in their caches.
    for (const replica of [a, b, a, b]) {
      expect((await call(replica, 'GET', '/api/v4/user', { token: plaintext })).status).toBe(200);
    }
    const revoked = await call(a, 'DELETE', '/api/v4/personal_access_tokens/self', { token: plaintext });
    const revokedAt = Date.now();
    expect(revoked.status).toBe(204);
    expect((await call(a, 'GET', '/api/v4/user', { token: plaintext })).status).toBe(401);

    let rejectedAfterMs: number | undefined;
    while (Date.now() - revokedAt < (CACHE_TTL_SECONDS + 2) * 1000) {
      const answer = await call(b, 'GET', '/api/v4/user', { token: plaintext });
      if (answer.status === 401) {
        rejectedAfterMs = Date.now() - revokedAt;
        expect(answer.body).toEqual({ message: '401 Unauthorized' });
        break;
      }
      expect(answer.status).toBe(200);
      await sleep(50);
    }
    expect(rejectedAfterMs).toBeDefined();
    // The bound plus the time one request takes on a loaded machine.
    expect(rejectedAfterMs!).toBeLessThanOrEqual(CACHE_TTL_SECONDS * 1000 + 500);
    for (const replica of [a, b, a, b]) {
      expect((await call(replica, 'GET', '/api/v4/user', { token: plaintext })).status).toBe(401);
    }
  });
  it(`refuse a job token on the replica that finished the job at once, and on the other within ${JOB_CACHE_TTL_MS} ms`, async () => {
    const [a, b] = replicas;
    const { context } = a;
    const user = await createUser(context.db);
    const project = await createProject(context.db, await createGroup(context.db));
    const token = rememberSecret(mintJobToken(''));
    const job = await createRunningJob(context.db, project, user, context.secrets.digester.digest(token));
    const jobCall = (replica: TestInstance) =>
      call(replica, 'GET', '/api/v4/job', { headers: { 'job-token': token } });
    // Alternate so that both replicas hold the verified job in their caches.
    for (const replica of [a, b, a, b]) expect((await jobCall(replica)).status).toBe(200);

    const finished = await call(a, 'PUT', `/api/v4/jobs/${job.id}`, { body: { token, state: 'success' } });
    const finishedAt = Date.now();
    expect(finished.status).toBe(200);
    expect((await jobCall(a)).status).toBe(401);

    let refusedAfterMs: number | undefined;
    while (Date.now() - finishedAt < JOB_CACHE_TTL_MS + 2000) {
      const answer = await jobCall(b);
      if (answer.status === 401) {
        refusedAfterMs = Date.now() - finishedAt;
        break;
      }
      expect(answer.status).toBe(200);
      await sleep(50);
    }
    expect(refusedAfterMs).toBeDefined();
    // The bound plus the time one request takes on a loaded machine.
    expect(refusedAfterMs!).toBeLessThanOrEqual(JOB_CACHE_TTL_MS + 500);
    for (const replica of [a, b, a, b]) expect((await jobCall(replica)).status).toBe(401);
  });
});
