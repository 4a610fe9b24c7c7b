import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Digester } from '../../src/crypto/secrets.ts';
import {
  csrfTokenFor,
  csrfTokenMatches,
  resolveSession,
  signIn,
  signOut,
  type SessionDeps,
} from '../../src/identity/session.service.ts';
import { blockUser } from '../../src/identity/user.service.ts';
import { SYSTEM_ACTOR } from '../../src/audit/audit-log.ts';
import { InProcessFailureLimiter } from '../../src/security/rate-limiter.ts';
import { findSessionById } from '../../src/store/sessions.repository.ts';
import type { User } from '../../src/store/schema.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.ts';
import { rememberSecret } from '../support/secrets.ts';
import { auditEvents, createUserWithPassword, refusal } from './identity-fixtures.ts';

const IDLE = 600;
const ABSOLUTE = 3600;
const LIMIT = 3;

describe.each(ENGINES)('sessions on %s', (engine) => {
  let database: TestDatabase;
  let clock: ManualClock;
  let deps: SessionDeps;
  let alice: User;
  let password: string;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    ({ user: alice, password } = await createUserWithPassword(database.db, {
      username: 'alice',
      email: 'alice@example.com',
    }));
  });
  afterAll(async () => database.destroy());
  beforeEach(() => {
    clock = new ManualClock('2030-01-01T00:00:00Z');
    deps = {
      db: database.db,
      clock,
      digester: new Digester(randomBytes(32)),
      policy: { idleTimeoutSeconds: IDLE, absoluteTimeoutSeconds: ABSOLUTE },
      limiter: new InProcessFailureLimiter({ limit: LIMIT, windowSeconds: 60, clock }),
    };
  });

  async function signInAs(login: string, pw = password, ip = '192.0.2.1') {
    const result = await signIn(deps, { login, password: pw, ip });
    rememberSecret(result.sessionId);
    return result;
  }

  it('signs in by username or by email, storing only a digest of the session id', async () => {
    const byName = await signInAs('alice');
    const byEmail = await signInAs('ALICE@example.com');
    expect(byName.user.id).toBe(alice.id);
    expect(byEmail.user.id).toBe(alice.id);
    expect(byName.sessionId).not.toBe(byEmail.sessionId);
    expect(await findSessionById(database.db, byName.sessionId)).toBeUndefined();
    expect(await findSessionById(database.db, deps.digester.digest(byName.sessionId))).toMatchObject({
      user_id: alice.id,
      ip_address: '192.0.2.1',
    });
    expect((await resolveSession(deps, byName.sessionId))?.user.id).toBe(alice.id);
  });

  it('gives one answer for a wrong password and an unknown login, and audits both without the password', async () => {
    const wrong = rememberSecret('not-the-password');
    expect(await refusal(signInAs('alice', wrong))).toEqual({
      code: 'unauthorized',
      status: 401,
      message: 'Invalid login or password.',
      field: undefined,
    });
    expect(await refusal(signInAs('nobody', wrong, '192.0.2.2'))).toEqual(
      await refusal(signInAs('alice', wrong, '192.0.2.3')),
    );
    const failures = await auditEvents(database.db, 'user.sign_in_failed');
    expect(failures.map((e) => e.details.reason)).toContain('unknown_login');
    expect(failures.map((e) => e.details.reason)).toContain('invalid_password');
    expect(JSON.stringify(failures)).not.toContain(wrong);
  });

  it('locks an account after too many failures, even from new addresses and with the right password', async () => {
    const { user: bob, password: bobs } = await createUserWithPassword(database.db, { username: 'bob' });
    for (let i = 0; i < LIMIT; i++) await refusal(signInAs('bob', 'wrong-password', `198.51.100.${i}`));
    const locked = await refusal(signInAs('bob', bobs, '198.51.100.99'));
    expect(locked).toMatchObject({ code: 'rate_limited', status: 429 });
    const [event] = (await auditEvents(database.db, 'user.sign_in_locked')).filter(
      (e) => e.entity_id === String(bob.id),
    );
    expect(event!.details).toMatchObject({ scope: 'account', retry_after_seconds: 60 });
    clock.advance(60);
    expect((await signInAs('bob', bobs, '198.51.100.99')).user.id).toBe(bob.id);
  });

  it('locks an address after too many failures, whichever accounts they named', async () => {
    for (let i = 0; i < LIMIT; i++) await refusal(signInAs(`ghost-${i}`, 'wrong-password', '203.0.113.7'));
    expect(await refusal(signInAs('alice', password, '203.0.113.7'))).toMatchObject({ code: 'rate_limited' });
    expect((await signInAs('alice', password, '203.0.113.8')).user.id).toBe(alice.id);
  });

  it('ends a session left idle past the idle timeout, and deletes it', async () => {
    const { sessionId } = await signInAs('alice');
    clock.advance(IDLE - 1);
    expect(await resolveSession(deps, sessionId)).not.toBeNull();
    clock.advance(IDLE - 1);
    expect(await resolveSession(deps, sessionId)).not.toBeNull();
    clock.advance(IDLE);
    expect(await resolveSession(deps, sessionId)).toBeNull();
    expect(await findSessionById(database.db, deps.digester.digest(sessionId))).toBeUndefined();
  });

  it('ends a busy session at the absolute timeout', async () => {
    const { sessionId } = await signInAs('alice');
    for (let elapsed = 0; elapsed + IDLE / 2 < ABSOLUTE; elapsed += IDLE / 2) {
      clock.advance(IDLE / 2);
      expect(await resolveSession(deps, sessionId)).not.toBeNull();
    }
    clock.advance(IDLE / 2);
    expect(await resolveSession(deps, sessionId)).toBeNull();
  });

  it('sign-out deletes the session and is audited', async () => {
    const { sessionId } = await signInAs('alice');
    const row = deps.digester.digest(sessionId);
    await signOut(deps, row, { userId: alice.id, name: 'alice', ip: null });
    expect(await resolveSession(deps, sessionId)).toBeNull();
    expect((await auditEvents(database.db, 'user.signed_out')).length).toBeGreaterThan(0);
  });

  it('a blocked user’s sessions stop resolving and they cannot sign in', async () => {
    const { user: carol, password: carols } = await createUserWithPassword(database.db, {
      username: 'carol',
    });
    const { sessionId } = await signInAs('carol', carols);
    await blockUser(database.db, clock, SYSTEM_ACTOR, carol.id);
    expect(await resolveSession(deps, sessionId)).toBeNull();
    expect(await refusal(signInAs('carol', carols))).toMatchObject({ code: 'unauthorized' });
  });

  it('binds the CSRF token to its session', async () => {
    const one = await signInAs('alice');
    const two = await signInAs('alice');
    expect(one.csrfToken).toBe(csrfTokenFor(deps.digester, one.sessionId));
    expect(csrfTokenMatches(deps.digester, one.sessionId, one.csrfToken)).toBe(true);
    expect(csrfTokenMatches(deps.digester, one.sessionId, two.csrfToken)).toBe(false);
    expect(csrfTokenMatches(deps.digester, one.sessionId, '')).toBe(false);
  });
});
