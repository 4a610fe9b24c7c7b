import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../identity/identity-fixtures.ts';
import { givePat } from '../tokens/token-fixtures.ts';
import { accessTokenDeps } from '../../src/tokens/access/access-token-deps.ts';
import {
  approveInBrowser,
  CALLBACK,
  oauthPost,
  pkcePair,
  startOAuthWorld,
  withBearer,
  type OAuthWorld,
  json,
} from './oauth-fixtures.ts';

let world: OAuthWorld;

beforeAll(async () => {
  world = await startOAuthWorld('oauth-refresh');
});
afterAll(async () => {
  await world.instance.stop();
});

/** Tokens for alice through consent, code and PKCE. */
async function tokensFor(app: { clientId: string; secret: string }, scope = 'api read_user') {
  const { verifier, challenge } = pkcePair();
  const callback = await approveInBrowser(world.instance, world.asAlice, {
    client_id: app.clientId,
    redirect_uri: CALLBACK,
    response_type: 'code',
    scope,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const answer = await oauthPost(
    world.instance,
    '/oauth/token',
    {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: CALLBACK,
      code_verifier: verifier,
    },
    app,
  );
  expect(answer.status).toBe(200);
  return answer.body as { access_token: string; refresh_token: string };
}

const refresh = (
  app: { clientId: string; secret: string },
  refreshToken: string,
  extra: Record<string, string> = {},
) =>
  oauthPost(
    world.instance,
    '/oauth/token',
    { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra },
    app,
  );

describe('refresh tokens', () => {
  it('rotate on every use: a new pair, and the old access and refresh tokens stop working', async () => {
    const app = await world.createApp();
    const first = await tokensFor(app);
    const second = await refresh(app, first.refresh_token);
    expect(second.status).toBe(200);
    expect(second.body.access_token).not.toBe(first.access_token);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    expect(second.body.scope).toBe('api read_user');
    expect((await withBearer(world.instance, '/api/v4/user', second.body.access_token)).status).toBe(200);
    expect((await withBearer(world.instance, '/api/v4/user', first.access_token)).status).toBe(401);

    const third = await refresh(app, second.body.refresh_token, { scope: 'read_user' });
    expect(third.status).toBe(200);
    expect(third.body.scope).toBe('read_user');
    const widened = await refresh(app, third.body.refresh_token, { scope: 'api' });
    expect(widened.status).toBe(400);
    expect(widened.body.error).toBe('invalid_scope');
  });

  it('revoke the whole grant, audited, when a spent one is replayed', async () => {
    const app = await world.createApp();
    const first = await tokensFor(app);
    const second = await refresh(app, first.refresh_token);
    expect(second.status).toBe(200);

    const replay = await refresh(app, first.refresh_token);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    // The legitimate client's newer tokens die with the grant: the thief and the client are now both out.
    expect((await withBearer(world.instance, '/api/v4/user', second.body.access_token)).status).toBe(401);
    expect((await refresh(app, second.body.refresh_token)).body.error).toBe('invalid_grant');
    const events = await auditEvents(world.instance.context.db, 'oauth_grant.revoked');
    expect(events.at(-1)!.details).toMatchObject({ reason: 'refresh_token_reuse', user_id: world.alice.id });
  });

  it('are bound to their client', async () => {
    const app = await world.createApp();
    const other = await world.createApp();
    const tokens = await tokensFor(app);
    expect((await refresh(other, tokens.refresh_token)).body.error).toBe('invalid_grant');
    expect((await refresh(app, tokens.refresh_token)).status).toBe(200);
  });
});

describe('POST /oauth/revoke (RFC 7009)', () => {
  it("answers 200 for an unknown token and for another client's token, which it leaves alone", async () => {
    const app = await world.createApp();
    const other = await world.createApp();
    const unknown = await oauthPost(
      world.instance,
      '/oauth/revoke',
      { token: 'gloat-nothing-like-this' },
      app,
    );
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual({});
    const tokens = await tokensFor(app);
    const foreign = await oauthPost(world.instance, '/oauth/revoke', { token: tokens.access_token }, other);
    expect(foreign.status).toBe(200);
    expect((await withBearer(world.instance, '/api/v4/user', tokens.access_token)).status).toBe(200);
  });

  it('revokes an access token; a refresh token takes its whole grant with it', async () => {
    const app = await world.createApp();
    const a = await tokensFor(app);
    expect(
      (
        await oauthPost(
          world.instance,
          '/oauth/revoke',
          { token: a.access_token, token_type_hint: 'access_token' },
          app,
        )
      ).status,
    ).toBe(200);
    expect((await withBearer(world.instance, '/api/v4/user', a.access_token)).status).toBe(401);

    const b = await tokensFor(app);
    const rotated = await refresh(app, b.refresh_token);
    expect(
      (
        await oauthPost(
          world.instance,
          '/oauth/revoke',
          { token: rotated.body.refresh_token, token_type_hint: 'refresh_token' },
          app,
        )
      ).status,
    ).toBe(200);
    expect((await withBearer(world.instance, '/api/v4/user', rotated.body.access_token)).status).toBe(401);
    expect((await refresh(app, rotated.body.refresh_token)).body.error).toBe('invalid_grant');
    expect((await auditEvents(world.instance.context.db, 'oauth_grant.revoked')).at(-1)!.details.reason).toBe(
      'revoked',
    );
  });

  it('needs client authentication', async () => {
    const response = await oauthPost(world.instance, '/oauth/revoke', { token: 'gloat-x' });
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_client');
  });
});

describe('POST /oauth/introspect (RFC 7662)', () => {
  it('describes an active token of the calling client', async () => {
    const app = await world.createApp();
    const tokens = await tokensFor(app);
    const answer = await oauthPost(world.instance, '/oauth/introspect', { token: tokens.access_token }, app);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      active: true,
      scope: 'api read_user',
      client_id: app.clientId,
      username: 'alice',
      token_type: 'Bearer',
      exp: expect.any(Number),
      iat: expect.any(Number),
      sub: String(world.alice.id),
    });
    expect(answer.body.exp - answer.body.iat).toBe(7200);
    const ofRefresh = await oauthPost(
      world.instance,
      '/oauth/introspect',
      { token: tokens.refresh_token },
      app,
    );
    expect(ofRefresh.body).toMatchObject({ active: true, token_type: 'refresh_token', username: 'alice' });
  });

  it('says only {active:false} for unknown, revoked, spent and foreign tokens', async () => {
    const app = await world.createApp();
    const other = await world.createApp();
    const tokens = await tokensFor(app);
    const introspect = async (token: string, client = app) =>
      (await oauthPost(world.instance, '/oauth/introspect', { token }, client)).body;
    expect(await introspect('gloat-unknown-token-value')).toEqual({ active: false });
    expect(await introspect(tokens.access_token, other)).toEqual({ active: false });
    const pat = await givePat(accessTokenDeps(world.instance.context), world.alice);
    expect(await introspect(pat.plaintext)).toEqual({ active: false });
    await refresh(app, tokens.refresh_token);
    expect(await introspect(tokens.refresh_token)).toEqual({ active: false });
    expect(await introspect(tokens.access_token)).toEqual({ active: false });
  });

  it('needs client authentication', async () => {
    const response = await oauthPost(world.instance, '/oauth/introspect', { token: 'gloat-x' });
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_client');
  });
});

describe('GET /oauth/userinfo', () => {
  it('answers the profile for an openid token, the email only with the email scope', async () => {
    const app = await world.createApp();
    const plain = await tokensFor(app, 'openid');
    const profile = await withBearer(world.instance, '/oauth/userinfo', plain.access_token);
    expect(profile.status).toBe(200);
    expect(profile.body).toEqual({
      sub: String(world.alice.id),
      name: 'Alice Liddell',
      nickname: 'alice',
      preferred_username: 'alice',
      profile: `${world.instance.url}/alice`,
      website: '',
    });
    const withEmail = await tokensFor(app, 'openid email');
    expect((await withBearer(world.instance, '/oauth/userinfo', withEmail.access_token)).body).toMatchObject({
      email: 'alice@example.test',
      email_verified: true,
    });
  });

  it('refuses a token without openid (403) and anything that is not an OAuth token (401)', async () => {
    const app = await world.createApp();
    const apiOnly = await tokensFor(app, 'api');
    const noOpenid = await fetch(`${world.instance.url}/oauth/userinfo`, {
      headers: { authorization: `Bearer ${apiOnly.access_token}` },
    });
    expect(noOpenid.status).toBe(403);
    expect(await json(noOpenid)).toEqual({
      error: 'insufficient_scope',
      error_description: 'The openid scope is required.',
    });
    const pat = await givePat(accessTokenDeps(world.instance.context), world.alice);
    const withPat = await fetch(`${world.instance.url}/oauth/userinfo`, {
      headers: { authorization: `Bearer ${pat.plaintext}` },
    });
    expect(withPat.status).toBe(401);
    expect(withPat.headers.get('www-authenticate')).toBe('Bearer realm="tessera", error="invalid_token"');
    const dead = await fetch(`${world.instance.url}/oauth/userinfo`, {
      headers: { authorization: 'Bearer gloat-not-a-real-token' },
    });
    expect(dead.status).toBe(401);
    expect((await json(dead)).error).toBe('invalid_token');
  });
});
