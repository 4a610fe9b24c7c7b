import { createHash } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/audit/audit-log.ts';
import { TesseraError } from '../../src/errors/tessera-error.ts';
import { RETIREMENT_MARGIN_SECONDS } from '../../src/keys/key-manager.ts';
import { openDatabase, type Db } from '../../src/store/database.ts';
import { listSigningKeys } from '../../src/store/signing-keys.repository.ts';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.ts';
import { keySettings, keyWorld, type KeyWorld } from './key-fixtures.ts';

const ROLE = 'instance';
const admin = { userId: 1, name: 'root', ip: '127.0.0.1' };

/** RFC 7638 §3, written out independently of jose: SHA-256 over the required members in lexical order. */
function rfc7638(jwk: JWK): string {
  const members =
    jwk.kty === 'RSA'
      ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
      : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

async function keyEvents(db: Db) {
  const rows = await db
    .selectFrom('audit_events')
    .select(['action', 'entity_id', 'author_name', 'details'])
    .where('entity_type', '=', 'signing_key')
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ ...row, details: JSON.parse(row.details) as unknown }));
}

async function states(db: Db) {
  return (await listSigningKeys(db, ROLE)).map((key) => ({ kid: key.kid, state: key.state }));
}

describe.each(ENGINES)('signing keys on %s', (engine) => {
  let database: TestDatabase;
  let world: KeyWorld;

  beforeEach(async () => {
    database = await createTestDatabase(engine);
    world = keyWorld(database.db);
  });

  afterEach(async () => {
    await world.rememberPrivateKeys();
    await database.destroy();
  });

  const verifyAt = async (token: string) =>
    jwtVerify(token, createLocalJWKSet(await world.keys.jwks(ROLE)), { currentDate: world.clock.now() });

  it('first start creates one active and one next key, audited', async () => {
    await world.keys.ensureKeys(ROLE);
    const keys = await listSigningKeys(database.db, ROLE);
    expect(keys.map((key) => key.state).sort()).toEqual(['active', 'next']);
    const [active, next] = [keys.find((k) => k.state === 'active')!, keys.find((k) => k.state === 'next')!];
    expect(active.activated_at).toBe('2026-01-01T00:00:00.000Z');
    expect(next.activated_at).toBeNull();
    expect(await keyEvents(database.db)).toEqual([
      {
        action: 'signing_key.created',
        entity_id: active.kid,
        author_name: 'tessera',
        details: { role: ROLE, alg: 'RS256' },
      },
      {
        action: 'signing_key.activated',
        entity_id: active.kid,
        author_name: 'tessera',
        details: { role: ROLE, alg: 'RS256' },
      },
      {
        action: 'signing_key.created',
        entity_id: next.kid,
        author_name: 'tessera',
        details: { role: ROLE, alg: 'RS256' },
      },
    ]);
  });

  it('a second start changes nothing', async () => {
    await world.keys.ensureKeys(ROLE);
    const before = await listSigningKeys(database.db, ROLE);
    const events = await keyEvents(database.db);
    await world.replica().ensureKeys(ROLE);
    expect(await listSigningKeys(database.db, ROLE)).toEqual(before);
    expect(await keyEvents(database.db)).toEqual(events);
  });

  it('replicas starting at the same moment create a single active key', async () => {
    // On PostgreSQL each replica gets its own pool, so only the advisory lock keeps them apart. One
    // process holds one SQLite connection (better-sqlite3 waits for a lock synchronously, so two in one
    // thread would wait on each other): there the replicas share it, as they would in one process.
    const connections = Array.from({ length: 4 }, () =>
      engine === 'postgres' ? openDatabase(database.url) : database.db,
    );
    try {
      await Promise.all(connections.map((connection) => world.replica(connection).ensureKeys(ROLE)));
    } finally {
      if (engine === 'postgres') await Promise.all(connections.map((connection) => connection.destroy()));
    }
    expect((await states(database.db)).map((key) => key.state).sort()).toEqual(['active', 'next']);
  });

  it('kid is the RFC 7638 thumbprint and the JWKS carries public members only', async () => {
    await world.keys.ensureKeys(ROLE);
    const { keys } = await world.keys.jwks(ROLE);
    expect(keys).toHaveLength(2);
    for (const jwk of keys) {
      expect(jwk.kid).toBe(rfc7638(jwk));
      expect(Object.keys(jwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
      expect(jwk).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256', e: 'AQAB' });
    }
  });

  it('keeps the private key encrypted at rest', async () => {
    await world.keys.ensureKeys(ROLE);
    for (const row of await listSigningKeys(database.db, ROLE)) {
      expect(JSON.stringify(row)).not.toContain('"d":');
      expect(row.private_jwk_encrypted).toMatch(/^v1\./);
      expect(JSON.parse(row.public_jwk)).not.toHaveProperty('d');
    }
  });

  it('rotation moves next to active and active to retired, auditing each step as the actor', async () => {
    await world.keys.ensureKeys(ROLE);
    const before = await listSigningKeys(database.db, ROLE);
    const oldActive = before.find((k) => k.state === 'active')!.kid;
    const oldNext = before.find((k) => k.state === 'next')!.kid;
    world.clock.advance(60);

    const result = await world.keys.rotate(ROLE, admin);

    expect(result).toEqual({ activated: oldNext, retired: oldActive, next: expect.any(String) });
    const after = await listSigningKeys(database.db, ROLE);
    const retired = after.find((k) => k.kid === oldActive)!;
    expect(retired).toMatchObject({ state: 'retired', retired_at: '2026-01-01T00:01:00.000Z' });
    expect(retired.remove_after).toBe(
      new Date(
        Date.parse('2026-01-01T00:01:00.000Z') + (24 * 3600 + RETIREMENT_MARGIN_SECONDS) * 1000,
      ).toISOString(),
    );
    expect(after.find((k) => k.kid === oldNext)).toMatchObject({
      state: 'active',
      activated_at: '2026-01-01T00:01:00.000Z',
    });
    expect(after.find((k) => k.kid === result.next)).toMatchObject({ state: 'next' });

    const rotation = (await keyEvents(database.db)).slice(3);
    expect(rotation.map((e) => [e.action, e.entity_id, e.author_name])).toEqual([
      ['signing_key.retired', oldActive, 'root'],
      ['signing_key.activated', oldNext, 'root'],
      ['signing_key.created', result.next, 'root'],
    ]);
  });

  it('a token signed before a rotation verifies after it, until its key is removed', async () => {
    await world.keys.ensureKeys(ROLE);
    const token = await world.keys.signJwt(
      ROLE,
      { scope: 'read' },
      { expiresInSeconds: 3600, audience: 'gateway' },
    );
    const { retired } = await world.keys.rotate(ROLE, admin);
    expect(decodeProtectedHeader(token).kid).toBe(retired);

    const fresh = await world.keys.signJwt(ROLE, {}, { expiresInSeconds: 60 });
    expect(decodeProtectedHeader(fresh).kid).not.toBe(retired);
    await expect(verifyAt(token)).resolves.toMatchObject({ payload: { scope: 'read' } });

    world.clock.advance(24 * 3600 + RETIREMENT_MARGIN_SECONDS - 1);
    expect((await world.keys.tick(ROLE)).removed).toEqual([]);
    world.clock.advance(1);
    // Past remove_after the key leaves the JWKS even before the scheduler deletes it.
    expect((await world.keys.jwks(ROLE)).keys.map((k) => k.kid)).not.toContain(retired);
    const { removed } = await world.keys.tick(ROLE);

    expect(removed).toEqual([retired]);
    expect((await states(database.db)).map((k) => k.kid)).not.toContain(retired);
    expect((await keyEvents(database.db)).at(-1)).toMatchObject({
      action: 'signing_key.removed',
      entity_id: retired,
    });
    await expect(
      jwtVerify(token, createLocalJWKSet(await world.keys.jwks(ROLE)), {
        currentDate: new Date(Date.parse('2026-01-01T00:30:00Z')),
      }),
    ).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });

  it('the scheduler rotates once the active key is older than the rotation interval', async () => {
    await world.keys.ensureKeys(ROLE);
    const interval = world.settings.keyRotationIntervalSeconds;
    world.clock.advance(interval - 1);
    expect(await world.keys.tick(ROLE)).toEqual({ rotated: null, removed: [] });

    world.clock.advance(1);
    const { rotated } = await world.keys.tick(ROLE);
    expect(rotated).not.toBeNull();
    expect((await world.keys.list(ROLE)).next_rotation_at).toBe(
      new Date(world.clock.now().getTime() + interval * 1000).toISOString(),
    );
    // A second replica ticking at the same moment finds nothing to do.
    expect((await world.replica().tick(ROLE)).rotated).toBeNull();
  });

  it('the timer runs the scheduled step', async () => {
    await world.keys.ensureKeys(ROLE);
    const next = (await states(database.db)).find((k) => k.state === 'next')!.kid;
    world.clock.advance(world.settings.keyRotationIntervalSeconds);
    world.keys.startScheduler([ROLE], 10);
    try {
      await expect
        .poll(async () => (await states(database.db)).find((k) => k.state === 'active')?.kid)
        .toBe(next);
    } finally {
      world.keys.stopScheduler();
    }
  });

  it('a rotation by another process is seen within a second', async () => {
    await world.keys.ensureKeys(ROLE);
    const before = decodeProtectedHeader(await world.keys.signJwt(ROLE, {}, { expiresInSeconds: 60 })).kid;
    const { activated } = await world.replica().rotate(ROLE, SYSTEM_ACTOR);
    world.clock.advance(1);
    const after = decodeProtectedHeader(await world.keys.signJwt(ROLE, {}, { expiresInSeconds: 60 })).kid;
    expect(after).toBe(activated);
    expect(after).not.toBe(before);
  });

  it('signs with iss, iat, nbf five seconds earlier, exp, jti, kid and alg', async () => {
    await world.keys.ensureKeys(ROLE);
    const token = await world.keys.signJwt(
      ROLE,
      { project_id: '42' },
      { expiresInSeconds: 300, audience: ['a', 'b'], subject: 'project_path:g/p', typ: 'JWT' },
    );
    const iat = Date.parse('2026-01-01T00:00:00Z') / 1000;
    const active = (await listSigningKeys(database.db, ROLE)).find((k) => k.state === 'active')!;
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: active.kid, typ: 'JWT' });
    expect(decodeJwt(token)).toEqual({
      project_id: '42',
      iss: 'https://tessera.example',
      iat,
      nbf: iat - 5,
      exp: iat + 300,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      aud: ['a', 'b'],
      sub: 'project_path:g/p',
    });
  });

  it('refuses a lifetime above the maximum JWT lifetime', async () => {
    await world.keys.ensureKeys(ROLE);
    const signing = world.keys.signJwt(
      ROLE,
      {},
      { expiresInSeconds: world.settings.maxJwtLifetimeSeconds + 1 },
    );
    await expect(signing).rejects.toBeInstanceOf(TesseraError);
    await expect(signing).rejects.toMatchObject({ code: 'bad_request', status: 400 });
  });

  it('signs with ES256 when configured', async () => {
    world = keyWorld(database.db, keySettings({ signingAlgorithm: 'ES256' }));
    await world.keys.ensureKeys(ROLE);
    const { keys } = await world.keys.jwks(ROLE);
    for (const jwk of keys) {
      expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
      expect(jwk.kid).toBe(rfc7638(jwk));
    }
    const token = await world.keys.signJwt(ROLE, {}, { expiresInSeconds: 60, audience: 'x' });
    const { protectedHeader } = await jwtVerify(token, createLocalJWKSet({ keys }), {
      algorithms: ['ES256'],
      audience: 'x',
      currentDate: world.clock.now(),
    });
    expect(protectedHeader.alg).toBe('ES256');
  });
});
