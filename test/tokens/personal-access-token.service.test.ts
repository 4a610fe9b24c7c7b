import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/store/schema.ts';
import { updateUser } from '../../src/store/users.repository.ts';
import { AccessTokenAuthenticator } from '../../src/tokens/access/access-token.authenticator.ts';
import { listPersonalAccessTokens } from '../../src/tokens/access/list-access-tokens.ts';
import {
  createPersonalAccessToken,
  revokePersonalAccessToken,
} from '../../src/tokens/access/personal-access-token.service.ts';
import { ENGINES } from '../support/databases.ts';
import { rememberSecret } from '../support/secrets.ts';
import { createUser } from '../support/world.ts';
import {
  actorOf,
  createOwnPat,
  refusal,
  storeCounts,
  tokenWorld,
  type TokenWorld,
} from './token-fixtures.ts';

const page = { limit: 100, offset: 0 };

describe.each(ENGINES)('personal access tokens on %s', (engine) => {
  let world: TokenWorld;
  let authenticator: AccessTokenAuthenticator;
  let alice: User;

  beforeAll(async () => {
    world = await tokenWorld(engine);
    authenticator = new AccessTokenAuthenticator(world.deps);
    alice = await createUser(world.db, { username: `alice-${engine}` });
  });
  afterAll(() => world.destroy());

  it('keeps only the digest of a token: the plaintext is nowhere in its row', async () => {
    const { token, plaintext } = await createOwnPat(world, alice);
    const row = await world.db
      .selectFrom('access_tokens')
      .selectAll()
      .where('id', '=', token.id)
      .executeTakeFirstOrThrow();
    expect(row.digest).toBe(world.deps.digester.digest(plaintext));
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(plaintext);
    expect(stored).not.toContain(plaintext.slice('glpat-'.length));
    const audit = await world.db.selectFrom('audit_events').selectAll().execute();
    expect(JSON.stringify(audit)).not.toContain(plaintext.slice('glpat-'.length));
  });

  it('authenticates a new token as its owner with its scopes, and audits and counts the creation', async () => {
    const issuedSoFar = async () =>
      (await world.deps.metrics.tokensIssued.get()).values
        .filter((v) => v.labels.type === 'personal_access_token')
        .reduce((sum, v) => sum + v.value, 0);
    const before = await issuedSoFar();
    const { token, plaintext } = await createOwnPat(world, alice, { scopes: ['read_api', 'read_user'] });
    const principal = await authenticator.authenticate(plaintext, { ip: '192.0.2.1' });
    expect(principal?.user.id).toBe(alice.id);
    expect(principal?.credential).toEqual({
      kind: 'personal_access_token',
      id: token.id,
      scopes: ['read_api', 'read_user'],
    });
    const event = await world.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'personal_access_token.created')
      .where('target_id', '=', String(token.id))
      .executeTakeFirstOrThrow();
    expect(event).toMatchObject({ entity_type: 'User', entity_id: String(alice.id), author_id: alice.id });
    expect((await issuedSoFar()) - before).toBe(1);
  });

  it('refuses an unknown scope, a past expiry and an admin scope, changing nothing', async () => {
    const before = await storeCounts(world.db);
    const request = { name: 'x', scopes: ['api'], expiresAt: '2026-06-01' };
    const unknown = await refusal(
      createPersonalAccessToken(world.deps, actorOf(alice), alice, alice.id, {
        ...request,
        scopes: ['api', 'root'],
      }),
    );
    expect([unknown.code, unknown.details.field]).toEqual(['bad_request', 'scopes']);
    const past = await refusal(
      createPersonalAccessToken(world.deps, actorOf(alice), alice, alice.id, {
        ...request,
        expiresAt: '2026-02-01',
      }),
    );
    expect([past.code, past.details.field]).toEqual(['bad_request', 'expires_at']);
    const sudo = await refusal(
      createPersonalAccessToken(world.deps, actorOf(alice), alice, alice.id, {
        ...request,
        scopes: ['sudo'],
      }),
    );
    expect(sudo.details.field).toBe('scopes');
    expect(await storeCounts(world.db)).toEqual(before);
  });

  it("lets only an administrator create or list another user's tokens", async () => {
    const bob = await createUser(world.db);
    const admin = await createUser(world.db, { is_admin: 1 });
    const request = { name: 'for-bob', scopes: ['api'], expiresAt: '2026-06-01' };
    expect(
      (await refusal(createPersonalAccessToken(world.deps, actorOf(alice), alice, bob.id, request))).code,
    ).toBe('forbidden');
    expect((await refusal(listPersonalAccessTokens(world.deps, alice, { userId: bob.id }, page))).code).toBe(
      'forbidden',
    );
    const issued = await createPersonalAccessToken(world.deps, actorOf(admin), admin, bob.id, request);
    rememberSecret(issued.plaintext);
    expect(issued.token.user_id).toBe(bob.id);
    const listing = await listPersonalAccessTokens(world.deps, admin, { userId: bob.id }, page);
    expect(listing.tokens.map((t) => t.id)).toEqual([issued.token.id]);
    expect(listing.total).toBe(1);
  });

  it('lists own tokens filtered by state, revoked, name and dates', async () => {
    const carol = await createUser(world.db);
    const soon = await createOwnPat(world, carol, { name: 'Deploy soon', expiresAt: '2026-03-05' });
    const later = await createOwnPat(world, carol, { name: 'deploy later', expiresAt: '2026-09-01' });
    const gone = await createOwnPat(world, carol, { name: 'gone', expiresAt: '2026-09-01' });
    await revokePersonalAccessToken(world.deps, actorOf(carol), carol, gone.token.id);
    const ids = async (query: Parameters<typeof listPersonalAccessTokens>[2]) =>
      (await listPersonalAccessTokens(world.deps, carol, query, page)).tokens
        .map((t) => t.id)
        .sort((a, b) => a - b);

    expect(await ids({})).toEqual([soon.token.id, later.token.id, gone.token.id]);
    expect(await ids({ state: 'active' })).toEqual([soon.token.id, later.token.id]);
    expect(await ids({ revoked: true })).toEqual([gone.token.id]);
    expect(await ids({ search: 'DEPLOY' })).toEqual([soon.token.id, later.token.id]);
    expect(await ids({ expiresBefore: '2026-04-01' })).toEqual([soon.token.id]);
    expect(await ids({ expiresAfter: '2026-04-01', revoked: false })).toEqual([later.token.id]);
    expect(await ids({ createdAfter: '2026-03-02T00:00:00.000Z' })).toEqual([]);
    world.clock.set('2026-03-05T00:00:00.000Z');
    try {
      expect(await ids({ state: 'inactive' })).toEqual([soon.token.id, gone.token.id]);
    } finally {
      world.clock.set('2026-03-01T12:00:00.000Z');
    }
  });

  it('refuses a token from 00:00 UTC of its expiry date', async () => {
    const { plaintext } = await createOwnPat(world, alice, { expiresAt: '2026-03-03' });
    world.clock.set('2026-03-02T23:59:59.000Z');
    try {
      expect(await authenticator.authenticate(plaintext, { ip: null })).not.toBeNull();
      world.clock.advance(1);
      expect(await authenticator.authenticate(plaintext, { ip: null })).toBeNull();
    } finally {
      world.clock.set('2026-03-01T12:00:00.000Z');
    }
  });

  it('refuses a revoked token at once, although it was cached', async () => {
    const { token, plaintext } = await createOwnPat(world, alice);
    expect(await authenticator.authenticate(plaintext, { ip: null })).not.toBeNull();
    await revokePersonalAccessToken(world.deps, actorOf(alice), alice, token.id);
    expect(await authenticator.authenticate(plaintext, { ip: null })).toBeNull();
  });

  it('refuses the token of a blocked owner once the cache entry has aged out (30 s)', async () => {
    const dave = await createUser(world.db);
    const { plaintext } = await createOwnPat(world, dave);
    expect(await authenticator.authenticate(plaintext, { ip: null })).not.toBeNull();
    await updateUser(world.db, dave.id, { state: 'blocked' });
    world.clock.advance(31);
    expect(await authenticator.authenticate(plaintext, { ip: null })).toBeNull();
  });

  it('refuses a token of another instance prefix or none at all', async () => {
    expect(await authenticator.authenticate('glpat-doesnotexist000000000000000', { ip: null })).toBeNull();
    expect(await authenticator.authenticate('gldt-whatever', { ip: null })).toBeNull();
  });

  it('mints and accepts tokens behind the instance prefix, and still accepts the bare ones', async () => {
    const bare = await createOwnPat(world, alice);
    world.deps.policy.tokenPrefix = 'acme';
    try {
      const prefixed = await createOwnPat(world, alice);
      expect(prefixed.plaintext).toMatch(/^acme-glpat-/);
      expect((await authenticator.authenticate(prefixed.plaintext, { ip: null }))?.credential.id).toBe(
        prefixed.token.id,
      );
      expect((await authenticator.authenticate(bare.plaintext, { ip: null }))?.credential.id).toBe(
        bare.token.id,
      );
    } finally {
      world.deps.policy.tokenPrefix = '';
    }
  });
});
