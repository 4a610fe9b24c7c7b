import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import { redisKeyPrefix } from '../../src/security/redis-failure-limiter.ts';
import type { Project, User } from '../../src/store/schema.ts';
import { accessTokenCacheFor } from '../../src/tokens/access/access-token-cache.ts';
import { mintJobToken } from '../../src/tokens/job/job-token-secret.ts';
import { registryAuth, scopeQuery } from '../registry/registry-fixtures.ts';
import { createEmptyDatabaseUrl } from '../support/databases.ts';
import { freePort, startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret, testLogDir } from '../support/secrets.ts';
import { addMember, createGroup, createProject, createRunningJob, createUser } from '../support/world.ts';
import { call, depsOf, givePat } from '../tokens/token-fixtures.ts';

const REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** What the feed must beat: a replica that kept a revoked credential longer missed the eviction. */
const PROPAGATION_BOUND_MS = 1000;

/** Answers an HTTP status for one use of a credential on one replica. */
type Probe = () => Promise<number>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Milliseconds from `since` (a `performance.now()`) to the first 401 of `probe`, polling until
 * `limitMs` have passed (undefined then). Every answer before the 401 must be a 200.
 */
async function refusedAfter(probe: Probe, since: number, limitMs: number): Promise<number | undefined> {
  while (performance.now() - since < limitMs) {
    const status = await probe();
    if (status === 401) return Math.round(performance.now() - since);
    expect(status).toBe(200);
    await sleep(10);
  }
  return undefined;
}

/** Two replicas of one instance (same URL, secrets and PostgreSQL database), started together as a rollout would. */
async function startReplicas(
  name: string,
  env: Record<string, string>,
): Promise<{ replicas: [TestInstance, TestInstance]; stop(): Promise<void> }> {
  const database = await createEmptyDatabaseUrl('postgres');
  const shared = {
    TESSERA_DATABASE_URL: database.url,
    TESSERA_EXTERNAL_URL: `https://${name}-${randomBytes(4).toString('hex')}.example`,
    TESSERA_DIGEST_SECRET: rememberSecret(randomBytes(32).toString('base64url')),
    TESSERA_KEY_ENCRYPTION_KEY: rememberSecret(randomBytes(32).toString('base64url')),
    TESSERA_AUTH_FAILURE_LIMIT: '1000',
    ...env,
  };
  const replicas = (await Promise.all([
    startTestInstance({ name: `${name}-a`, env: shared }),
    startTestInstance({ name: `${name}-b`, env: shared }),
  ])) as [TestInstance, TestInstance];
  return {
    replicas,
    async stop() {
      // Each replica drops the throwaway database it was given; the shared one goes last.
      for (const replica of replicas) await replica.stop();
      await sleep(200);
      await database.drop();
    },
  };
}

/** A user with a PAT (`api`) who maintains a fresh private project; made through replica `a`. */
async function maintainerOf(a: TestInstance): Promise<{ user: User; pat: string; project: Project }> {
  const user = await createUser(a.context.db);
  const project = await createProject(a.context.db, await createGroup(a.context.db));
  await addMember(a.context.db, project, user, ACCESS_LEVELS.maintainer);
  return { user, pat: (await givePat(depsOf(a), user, ['api'])).plaintext, project };
}

const patProbe =
  (replica: TestInstance, pat: string): Probe =>
  async () =>
    (await call(replica, 'GET', '/api/v4/user', { token: pat })).status;

const jobProbe =
  (replica: TestInstance, token: string): Probe =>
  async () =>
    (await call(replica, 'GET', '/api/v4/job', { headers: { 'job-token': token } })).status;

/** A running job on `a`'s store and its token (remembered for the leak check). */
async function runningJobOf(a: TestInstance, project: Project, user: User) {
  const token = rememberSecret(mintJobToken(''));
  const job = await createRunningJob(a.context.db, project, user, a.context.secrets.digester.digest(token));
  return { job, token };
}

describe('with Redis, a revocation on one replica reaches the other at once', () => {
  let pair: Awaited<ReturnType<typeof startReplicas>>;
  let redis: Redis;

  beforeAll(async () => {
    // The TTLs are long: only the eviction feed can explain a refusal within a second.
    pair = await startReplicas('fanout', {
      TESSERA_REDIS_URL: REDIS_URL,
      TESSERA_TOKEN_CACHE_TTL: '60',
      TESSERA_JOB_TOKEN_CACHE_TTL_MS: '60000',
    });
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await redis?.quit();
    await pair?.stop();
  });

  /** Uses the credential on B (caching it there), revokes it through A, and times B's first refusal. */
  async function propagation(kind: string, onB: Probe, revokeOnA: () => Promise<void>): Promise<number> {
    expect(await onB()).toBe(200);
    expect(await onB()).toBe(200);
    await revokeOnA();
    const answeredAt = performance.now();
    const ms = await refusedAfter(onB, answeredAt, 5000);
    console.log(`revocation propagation (${kind}): ${ms ?? 'none within 5 s'} ms`);
    expect(ms).toBeDefined();
    expect(ms!).toBeLessThan(PROPAGATION_BOUND_MS);
    return ms!;
  }

  it('a personal access token revoked through A is refused by B within a second', async () => {
    const [a, b] = pair.replicas;
    const { pat } = await maintainerOf(a);
    const digest = b.context.secrets.digester.digest(pat);
    await propagation('personal access token', patProbe(b, pat), async () => {
      // B holds it: a refusal below is the eviction's doing, not a cache miss.
      expect(accessTokenCacheFor(b.context.db, b.context.clock).get(digest)).toBeDefined();
      const revoked = await call(a, 'DELETE', '/api/v4/personal_access_tokens/self', { token: pat });
      expect(revoked.status).toBe(204);
    });
    expect(accessTokenCacheFor(b.context.db, b.context.clock).get(digest)).toBeUndefined();
  });

  it('a job finished through A is refused by B within a second', async () => {
    const [a, b] = pair.replicas;
    const { user, project } = await maintainerOf(a);
    const { job, token } = await runningJobOf(a, project, user);
    await propagation('CI job token', jobProbe(b, token), async () => {
      const finished = await call(a, 'PUT', `/api/v4/jobs/${job.id}`, { body: { token, state: 'success' } });
      expect(finished.status).toBe(200);
    });
  });

  it('a deploy token revoked through A is refused by the registry token service on B within a second', async () => {
    const [a, b] = pair.replicas;
    const { pat, project } = await maintainerOf(a);
    const created = await call(a, 'POST', `/api/v4/projects/${project.id}/deploy_tokens`, {
      token: pat,
      body: { name: 'cluster', scopes: ['read_registry'] },
    });
    expect(created.status).toBe(201);
    const credentials = { username: created.body.username, password: rememberSecret(created.body.token) };
    const pull = scopeQuery(`repository:${project.full_path}:pull`);
    await propagation(
      'deploy token',
      async () => (await registryAuth(b, pull, credentials)).status,
      async () => {
        const revoked = await call(
          a,
          'DELETE',
          `/api/v4/projects/${project.id}/deploy_tokens/${created.body.id}`,
          {
            token: pat,
          },
        );
        expect(revoked.status).toBe(204);
      },
    );
  });

  it("a user blocked through A loses their tokens and their jobs' tokens on B within a second", async () => {
    const [a, b] = pair.replicas;
    const { user, pat, project } = await maintainerOf(a);
    const admin = await createUser(a.context.db, { is_admin: 1 });
    const adminPat = (await givePat(depsOf(a), admin, ['api'])).plaintext;
    const { token } = await runningJobOf(a, project, user);
    const job = jobProbe(b, token);
    expect(await job()).toBe(200);
    await propagation('blocked user', patProbe(b, pat), async () => {
      expect((await call(a, 'POST', `/api/v4/users/${user.id}/block`, { token: adminPat })).status).toBe(201);
    });
    expect(await job()).toBe(401);
  });

  it('after losing Redis, each replica subscribes again, empties its caches and hears the next revocation', async () => {
    const [a, b] = pair.replicas;
    const channel = `${redisKeyPrefix(a.settings.externalUrl)}cache-evictions`;
    const subscribers = async () => Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]);
    expect(await subscribers()).toBe(2);
    const { pat } = await maintainerOf(a);
    expect(await patProbe(b, pat)()).toBe(200);
    const bCache = accessTokenCacheFor(b.context.db, b.context.clock);
    expect(bCache.get(b.context.secrets.digester.digest(pat))).toBeDefined();

    // What a Redis restart does to the replicas: every connection of this instance is cut.
    const ours = async () =>
      String(await redis.client('LIST'))
        .split('\n')
        .filter((line) => line.includes(`name=${channel} `));
    const connections = await ours();
    expect(connections.length).toBeGreaterThanOrEqual(2);
    for (const line of connections) await redis.client('KILL', 'ID', /\bid=(\d+)/.exec(line)![1]!);

    // Back when every connection is, both replicas are subscribed, and B has acted on it.
    const back = async () =>
      (await ours()).length >= connections.length && (await subscribers()) === 2 && bCache.size === 0;
    const deadline = performance.now() + 10_000;
    while (!(await back()) && performance.now() < deadline) await sleep(50);
    // B may have missed evictions while it was away: it dropped what it had cached.
    expect(await back()).toBe(true);

    await propagation('personal access token, after Redis came back', patProbe(b, pat), async () => {
      const revoked = await call(a, 'DELETE', '/api/v4/personal_access_tokens/self', { token: pat });
      expect(revoked.status).toBe(204);
    });
  });
});

describe('without Redis, a revocation on one replica is noticed by the other within the cache TTL', () => {
  const TTL_MS = 2000;
  /** Polling interval plus one request on a loaded machine. */
  const SLACK_MS = 1000;
  let pair: Awaited<ReturnType<typeof startReplicas>>;

  beforeAll(async () => {
    pair = await startReplicas('no-fanout', {
      TESSERA_TOKEN_CACHE_TTL: String(TTL_MS / 1000),
      TESSERA_JOB_TOKEN_CACHE_TTL_MS: String(TTL_MS),
    });
  });
  afterAll(async () => {
    await pair?.stop();
  });

  /** B goes on accepting what A revoked until the entry it cached is TTL old, and not much longer. */
  async function bounded(onB: Probe, revokeOnA: () => Promise<void>): Promise<void> {
    const warmedAt = performance.now();
    expect(await onB()).toBe(200);
    await revokeOnA();
    const revokedAt = performance.now();
    const ms = await refusedAfter(onB, warmedAt, TTL_MS + SLACK_MS + 2000);
    expect(ms).toBeDefined();
    // Cached no earlier than `warmedAt`: no refusal before the TTL ran out, at most the slack after.
    expect(ms!).toBeGreaterThanOrEqual(TTL_MS);
    expect(ms!).toBeLessThanOrEqual(TTL_MS + SLACK_MS + (revokedAt - warmedAt));
  }

  it('a revoked personal access token and a finished job keep working on B until the TTL, then stop', async () => {
    const [a, b] = pair.replicas;
    const { user, pat, project } = await maintainerOf(a);
    const { job, token } = await runningJobOf(a, project, user);
    await Promise.all([
      bounded(patProbe(b, pat), async () => {
        const revoked = await call(a, 'DELETE', '/api/v4/personal_access_tokens/self', { token: pat });
        expect(revoked.status).toBe(204);
        expect(await patProbe(a, pat)()).toBe(401);
      }),
      bounded(jobProbe(b, token), async () => {
        const finished = await call(a, 'PUT', `/api/v4/jobs/${job.id}`, {
          body: { token, state: 'success' },
        });
        expect(finished.status).toBe(200);
        expect(await jobProbe(a, token)()).toBe(401);
      }),
    ]);
  });
});

describe('with Redis unreachable', () => {
  let instance: TestInstance;

  beforeAll(async () => {
    // Nothing listens there: the replica starts anyway, and its failure limiter fails open.
    instance = await startTestInstance({
      name: 'fanout-redis-down',
      env: { TESSERA_REDIS_URL: `redis://127.0.0.1:${await freePort()}` },
    });
  });
  afterAll(async () => {
    await instance?.stop();
  });

  it('a revocation still succeeds at once here, and the replica logs that others rely on their TTL', async () => {
    const user = await createUser(instance.context.db);
    const { plaintext } = await givePat(depsOf(instance), user, ['api']);
    expect(await patProbe(instance, plaintext)()).toBe(200);
    const revoked = await call(instance, 'DELETE', '/api/v4/personal_access_tokens/self', {
      token: plaintext,
    });
    expect(revoked.status).toBe(204);
    expect(await patProbe(instance, plaintext)()).toBe(401);
    const log = readFileSync(join(testLogDir(), `fanout-redis-down-${instance.settings.port}.log`), 'utf8');
    expect(log).toContain('cache evictions: Redis unavailable; other replicas rely on their cache TTL');
  });
});
