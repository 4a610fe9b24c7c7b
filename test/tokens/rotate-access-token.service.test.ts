import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/store/schema.ts';
import { AccessTokenAuthenticator } from '../../src/tokens/access/access-token.authenticator.ts';
import { issuePersonalAccessToken } from '../../src/tokens/access/personal-access-token.service.ts';
import { rotateAccessToken } from '../../src/tokens/access/rotate-access-token.service.ts';
import { ENGINES } from '../support/databases.ts';
import { rememberSecret } from '../support/secrets.ts';
import { createUser } from '../support/world.ts';
import { actorOf, createOwnPat, refusal, tokenWorld, type TokenWorld } from './token-fixtures.ts';

describe.each(ENGINES)('using, rotating and seeding access tokens on %s', (engine) => {
  let world: TokenWorld;
  let authenticator: AccessTokenAuthenticator;
  let alice: User;

  beforeAll(async () => {
    world = await tokenWorld(engine);
    authenticator = new AccessTokenAuthenticator(world.deps);
    alice = await createUser(world.db, { username: `alice-${engine}` });
  });
  afterAll(() => world.destroy());

  it('writes last_used_at at most once per 10 minutes and remembers the last 5 addresses', async () => {
    const { token, plaintext } = await createOwnPat(world, alice);
    const row = () =>
      world.db.selectFrom('access_tokens').selectAll().where('id', '=', token.id).executeTakeFirstOrThrow();
    const firstUse = world.clock.now().toISOString();
    await authenticator.authenticate(plaintext, { ip: '198.51.100.1' });
    expect((await row()).last_used_at).toBe(firstUse);

    world.clock.advance(9 * 60);
    await authenticator.authenticate(plaintext, { ip: '198.51.100.2' });
    expect((await row()).last_used_at).toBe(firstUse);

    world.clock.advance(61);
    for (let i = 3; i <= 8; i++) {
      await authenticator.authenticate(plaintext, { ip: `198.51.100.${i}` });
      world.clock.advance(10 * 60);
    }
    const stored = await row();
    expect(stored.last_used_at).toBe(new Date(world.clock.now().getTime() - 10 * 60 * 1000).toISOString());
    expect(JSON.parse(stored.last_used_ips)).toEqual([
      '198.51.100.8',
      '198.51.100.7',
      '198.51.100.6',
      '198.51.100.5',
      '198.51.100.4',
    ]);
  });

  it('rotates a token: the old one is revoked, the new one keeps name and scopes, points back and lasts a week', async () => {
    const { token, plaintext } = await createOwnPat(world, alice, { name: 'rotating', scopes: ['read_api'] });
    const rotated = await rotateAccessToken(world.deps, actorOf(alice), token);
    rememberSecret(rotated.plaintext);
    expect(rotated.token).toMatchObject({
      name: 'rotating',
      scopes: '["read_api"]',
      user_id: alice.id,
      previous_token_id: token.id,
      expires_at: '2026-03-08',
      revoked: 0,
    });
    expect(await authenticator.authenticate(plaintext, { ip: null })).toBeNull();
    expect((await authenticator.authenticate(rotated.plaintext, { ip: null }))?.credential.id).toBe(
      rotated.token.id,
    );
    const event = await world.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'personal_access_token.rotated')
      .where('target_id', '=', String(token.id))
      .executeTakeFirstOrThrow();
    expect(JSON.parse(event.details)).toMatchObject({ new_token_id: rotated.token.id });
  });

  it('revokes the whole family, newest included, when a revoked token is rotated again', async () => {
    const first = await createOwnPat(world, alice, { name: 'family' });
    const second = await rotateAccessToken(world.deps, actorOf(alice), first.token);
    const third = await rotateAccessToken(world.deps, actorOf(alice), second.token, '2026-04-01');
    rememberSecret(second.plaintext);
    rememberSecret(third.plaintext);
    expect(await authenticator.authenticate(third.plaintext, { ip: null })).not.toBeNull();

    const error = await refusal(rotateAccessToken(world.deps, actorOf(alice), first.token));
    expect([error.status, error.message]).toEqual([400, '400 Bad request - Token already revoked']);

    const family = await world.db
      .selectFrom('access_tokens')
      .select(['id', 'revoked'])
      .where('id', 'in', [first.token.id, second.token.id, third.token.id])
      .execute();
    expect(family.every((t) => t.revoked === 1)).toBe(true);
    expect(await authenticator.authenticate(third.plaintext, { ip: null })).toBeNull();
    const event = await world.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'personal_access_token.family_revoked')
      .where('target_id', '=', String(first.token.id))
      .executeTakeFirstOrThrow();
    expect(JSON.parse(event.details)).toMatchObject({ revoked_token_ids: [third.token.id] });
  });

  it('seeds a token with a chosen secret once, and finds it again on the next start', async () => {
    const chosen = rememberSecret(`glpat-seed-${engine}-0123456789abcdef`);
    const first = await issuePersonalAccessToken(world.deps, {
      user: alice,
      name: 'root',
      scopes: ['api'],
      plaintext: chosen,
    });
    expect(first).toMatchObject({ created: true, plaintext: chosen });
    expect(first.token.expires_at).toBe('2027-03-01');
    const again = await issuePersonalAccessToken(world.deps, {
      user: alice,
      name: 'root',
      scopes: ['api'],
      plaintext: chosen,
    });
    expect(again).toMatchObject({ created: false });
    expect(again.token.id).toBe(first.token.id);
    const bob = await createUser(world.db);
    expect(
      (
        await refusal(
          issuePersonalAccessToken(world.deps, { user: bob, name: 'x', scopes: ['api'], plaintext: chosen }),
        )
      ).code,
    ).toBe('conflict');
    expect(
      (
        await refusal(
          issuePersonalAccessToken(world.deps, {
            user: bob,
            name: 'x',
            scopes: ['api'],
            plaintext: 'glpat-short',
          }),
        )
      ).details.field,
    ).toBe('token');
    expect((await authenticator.authenticate(chosen, { ip: null }))?.user.id).toBe(alice.id);
  });
});
