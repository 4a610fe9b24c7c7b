import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisFailureLimiter, redisKeyPrefix } from '../../src/security/redis-failure-limiter.ts';
import type { User } from '../../src/store/schema.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { auditEvents, createUserWithPassword } from '../identity/identity-fixtures.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { createUser } from '../support/world.ts';
import { depsOf, givePat } from '../tokens/token-fixtures.ts';
import { exchange, expectNoRememberedSecretIn, keepAuditEvents } from './support/exchange.ts';

const REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const USER = '/api/v4/user';
const LOCKED = { message: 'Too many failed authentication attempts. Retry later.' };

/** A made-up token of the PAT's shape: unknown to every instance. */
const bogusPat = () => `glpat-${randomBytes(15).toString('base64url')}`;

/** Counts digests the instance computes: a locked-out request must not cost one. */
function countDigests(instance: TestInstance): { readonly count: number } {
  const digester = instance.context.secrets.digester;
  const original = digester.digest.bind(digester);
  const counter = { count: 0 };
  digester.digest = (value: string) => {
    counter.count += 1;
    return original(value);
  };
  return counter;
}

describe('brute-force protection of token authentication (in process)', () => {
  const clock = new ManualClock();
  let instance: TestInstance;
  let valid: string;

  beforeAll(async () => {
    instance = await startTestInstance({
      clock,
      name: 'brute-force',
      env: { TESSERA_AUTH_FAILURE_LIMIT: '3', TESSERA_AUTH_FAILURE_WINDOW: '60' },
    });
    const alice = await createUser(instance.context.db);
    valid = (await givePat(depsOf(instance), alice, ['read_user'])).plaintext;
  });
  afterAll(async () => {
    await keepAuditEvents(instance.context.db);
    await instance.stop();
  });

  it('answers 401 up to the limit, then 429 with Retry-After — even to a valid token — without digesting it', async () => {
    const from = '127.0.0.2';
    for (let i = 0; i < 3; i++) {
      const refused = await exchange(`${instance.url}${USER}`, {
        headers: { 'private-token': bogusPat() },
        localAddress: from,
      });
      expect([refused.status, refused.json]).toEqual([401, { message: '401 Unauthorized' }]);
    }
    const digests = countDigests(instance);
    const locked = await exchange(`${instance.url}${USER}`, {
      headers: { 'private-token': valid },
      localAddress: from,
    });
    expect([locked.status, locked.json, locked.headers['retry-after']]).toEqual([429, LOCKED, '60']);
    expect(digests.count).toBe(0);
    expectNoRememberedSecretIn(locked.text);

    const other = await exchange(`${instance.url}${USER}`, {
      headers: { 'private-token': valid },
      localAddress: '127.0.0.3',
    });
    expect(other.status).toBe(200);
    // The probe sees digests: the request from the other address did cost one.
    expect(digests.count).toBeGreaterThan(0);
  });

  it('audits the lockout with the credential type and the counter that locked, never the token', async () => {
    const [lock] = (await auditEvents(instance.context.db, 'token.authentication_locked')).filter(
      (event) => event.ip_address === '127.0.0.2',
    );
    expect(lock).toMatchObject({
      author_name: 'anonymous',
      entity_type: 'credential',
      details: { credential_type: 'glpat', scope: 'address', retry_after_seconds: 60 },
    });
  });

  it('lets the address in again once the window has passed', async () => {
    clock.advance(59);
    const still = await exchange(`${instance.url}${USER}`, {
      headers: { 'private-token': valid },
      localAddress: '127.0.0.2',
    });
    expect([still.status, still.headers['retry-after']]).toEqual([429, '1']);
    clock.advance(1);
    const again = await exchange(`${instance.url}${USER}`, {
      headers: { 'private-token': valid },
      localAddress: '127.0.0.2',
    });
    expect(again.status).toBe(200);
  });

  it('counts each credential type apart: failed sign-ins do not lock token authentication', async () => {
    const from = '127.0.0.4';
    for (let i = 0; i < 3; i++) {
      const signIn = await exchange(`${instance.url}/users/sign_in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: 'nobody', password: 'wrong-password' }),
        localAddress: from,
      });
      expect(signIn.status).toBe(401);
    }
    const signInLocked = await exchange(`${instance.url}/users/sign_in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'someone-else', password: 'wrong-password' }),
      localAddress: from,
    });
    expect(signInLocked.status).toBe(429);
    const token = await exchange(`${instance.url}${USER}`, {
      headers: { 'private-token': valid },
      localAddress: from,
    });
    expect(token.status).toBe(200);
  });
});

describe('the Redis failure limiter', () => {
  const prefix = `tessera-test:${randomBytes(6).toString('hex')}:`;
  const limiters: RedisFailureLimiter[] = [];
  const limiter = (keyPrefix = prefix, limit = 3) => {
    const made = new RedisFailureLimiter({ url: REDIS_URL, limit, windowSeconds: 30, keyPrefix });
    limiters.push(made);
    return made;
  };
  afterAll(async () => {
    await Promise.all(limiters.map((l) => l.close()));
  });

  it('locks a key at the limit for the rest of its window, and forgets it on reset', async () => {
    const l = limiter();
    expect(await l.fail('k')).toBeNull();
    expect(await l.fail('k')).toBeNull();
    expect(await l.check('k')).toBeNull();
    expect(await l.fail('k')).toBe(30);
    expect(await l.check('k')).toBe(30);
    await l.reset('k');
    expect(await l.check('k')).toBeNull();
  });

  it('shares counts between two limiters with the same prefix, and only those', async () => {
    const [a, b, stranger] = [limiter(), limiter(), limiter(`${prefix}other:`)];
    await a.fail('shared');
    await b.fail('shared');
    expect(await a.fail('shared')).toBe(30);
    expect(await b.check('shared')).toBe(30);
    expect(await stranger.check('shared')).toBeNull();
  });

  it('derives one prefix per external URL', () => {
    expect(redisKeyPrefix('https://a.example')).toBe(redisKeyPrefix('https://a.example'));
    expect(redisKeyPrefix('https://a.example')).not.toBe(redisKeyPrefix('https://b.example'));
  });

  it('fails open, reporting the error, when Redis cannot be reached', async () => {
    const errors: Error[] = [];
    const down = new RedisFailureLimiter({
      url: 'redis://127.0.0.1:1',
      limit: 1,
      windowSeconds: 30,
      keyPrefix: prefix,
      onError: (error) => errors.push(error),
    });
    limiters.push(down);
    expect(await down.fail('k')).toBeNull();
    expect(await down.check('k')).toBeNull();
    expect(errors.length).toBeGreaterThan(0);
  });
});

describe('two replicas sharing Redis (and one store)', () => {
  const storeDir = mkdtempSync(join(tmpdir(), 'tessera-replicas-'));
  let replicas: [TestInstance, TestInstance];
  let person: { user: User; password: string };
  let valid: string;

  beforeAll(async () => {
    // Same external URL, store and secrets: one instance as far as clients go. A random URL keeps
    // other runs' counters apart.
    const env = {
      TESSERA_REDIS_URL: REDIS_URL,
      TESSERA_EXTERNAL_URL: `https://replicas-${randomBytes(4).toString('hex')}.example`,
      TESSERA_DATABASE_URL: `sqlite:${join(storeDir, 'shared.sqlite')}`,
      TESSERA_DIGEST_SECRET: rememberSecret(randomBytes(32).toString('base64url')),
      TESSERA_KEY_ENCRYPTION_KEY: rememberSecret(randomBytes(32).toString('base64url')),
      TESSERA_AUTH_FAILURE_LIMIT: '2',
    };
    const a = await startTestInstance({ name: 'redis-replica-a', env });
    replicas = [a, await startTestInstance({ name: 'redis-replica-b', env })];
    person = await createUserWithPassword(a.context.db, { username: 'carol' });
    valid = (await givePat(depsOf(a), person.user, ['read_user'])).plaintext;
  });
  afterAll(async () => {
    await keepAuditEvents(replicas[0].context.db);
    for (const replica of replicas) await replica.stop();
    rmSync(storeDir, { recursive: true, force: true });
  });

  it('locks token authentication on one replica after failures on the other', async () => {
    const [a, b] = replicas;
    const from = '127.0.0.5';
    for (let i = 0; i < 2; i++) {
      const refused = await exchange(`${a.url}${USER}`, {
        headers: { authorization: `Bearer ${bogusPat()}` },
        localAddress: from,
      });
      expect(refused.status).toBe(401);
    }
    const onB = await exchange(`${b.url}${USER}`, {
      headers: { authorization: `Bearer ${valid}` },
      localAddress: from,
    });
    expect([onB.status, onB.json]).toEqual([429, LOCKED]);
    expect(Number(onB.headers['retry-after'])).toBeGreaterThan(0);
    const elsewhere = await exchange(`${b.url}${USER}`, {
      headers: { authorization: `Bearer ${valid}` },
      localAddress: '127.0.0.6',
    });
    expect(elsewhere.status).toBe(200);
  });

  it('locks an account against sign-in on every replica, whichever addresses the failures came from', async () => {
    const [a, b] = replicas;
    const signIn = (replica: TestInstance, password: string, localAddress: string) =>
      exchange(`${replica.url}/users/sign_in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: person.user.username, password }),
        localAddress,
      });
    expect((await signIn(a, 'wrong-password-1', '127.0.0.7')).status).toBe(401);
    expect((await signIn(a, 'wrong-password-2', '127.0.0.8')).status).toBe(401);
    const locked = await signIn(b, person.password, '127.0.0.9');
    expect([locked.status, locked.json]).toEqual([
      429,
      { message: 'Too many failed sign-in attempts. Retry later.' },
    ]);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
  });
});
