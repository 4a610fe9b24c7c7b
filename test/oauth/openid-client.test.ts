import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/databases.ts';
import { rememberSecret } from '../support/secrets.ts';
import {
  authorizeRequest,
  CALLBACK,
  consentFields,
  decide,
  startOAuthWorld,
  type OAuthWorld,
} from './oauth-fixtures.ts';

describe.each(ENGINES)('on %s', (engine) => {
  let world: OAuthWorld;

  beforeAll(async () => {
    world = await startOAuthWorld(`oauth-openid-client-${engine}`, { engine });
  });
  afterAll(async () => {
    await world.instance.stop();
  });

  it('an unmodified openid-client completes the code flow with PKCE and validates the id_token', async () => {
    const app = await world.createApp({ scopes: ['openid', 'profile', 'email', 'read_user'] });
    const config = await client.discovery(new URL(world.instance.url), app.clientId, app.secret, undefined, {
      execute: [client.allowInsecureRequests],
    });
    expect(config.serverMetadata().issuer).toBe(world.instance.url);

    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: 'openid profile email',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
    });

    // The browser part: the signed-in person sees the consent page and approves.
    const page = await authorizeRequest(
      world.instance,
      world.asAlice,
      Object.fromEntries(authorizationUrl.searchParams),
    );
    expect(page.status).toBe(200);
    const approved = await decide(world.instance, world.asAlice, consentFields(await page.text()), 'approve');
    expect(approved.status).toBe(302);
    const callbackUrl = new URL(approved.headers.get('location')!);
    rememberSecret(callbackUrl.searchParams.get('code')!);

    const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    rememberSecret(tokens.access_token);
    rememberSecret(tokens.refresh_token!);
    rememberSecret(tokens.id_token!);
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({
      iss: world.instance.url,
      aud: app.clientId,
      sub: String(world.alice.id),
      nonce,
      preferred_username: 'alice',
      email: 'alice@example.test',
      auth_time: expect.any(Number),
    });
    expect(claims.exp - claims.iat).toBe(120);
    // at_hash binds the ID token to the access token issued with it (OIDC Core §3.1.3.6).
    const half = createHash('sha256').update(tokens.access_token).digest().subarray(0, 16);
    expect(claims.at_hash).toBe(half.toString('base64url'));

    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(userinfo).toMatchObject({
      sub: String(world.alice.id),
      nickname: 'alice',
      email: 'alice@example.test',
    });

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    rememberSecret(refreshed.access_token);
    rememberSecret(refreshed.refresh_token!);
    if (refreshed.id_token) rememberSecret(refreshed.id_token);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    const introspected = await client.tokenIntrospection(config, refreshed.access_token);
    expect(introspected).toMatchObject({ active: true, username: 'alice', client_id: app.clientId });
    await client.tokenRevocation(config, refreshed.access_token);
    expect((await client.tokenIntrospection(config, refreshed.access_token)).active).toBe(false);
  });

  it('discovers the authorization server through RFC 8414 metadata that agrees with the OpenID document', async () => {
    const config = await client.discovery(new URL(world.instance.url), 'any-client', undefined, undefined, {
      algorithm: 'oauth2',
      execute: [client.allowInsecureRequests],
    });
    const metadata = config.serverMetadata();
    const openid = (await (
      await fetch(`${world.instance.url}/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    for (const [name, value] of Object.entries(openid)) expect(metadata[name], name).toEqual(value);
    expect(metadata).toMatchObject({
      issuer: world.instance.url,
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      grant_types_supported: expect.arrayContaining(['authorization_code', 'refresh_token']),
    });
  });
});
