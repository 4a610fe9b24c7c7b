import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../identity/identity-fixtures.ts';
import {
  approveInBrowser,
  authorizeRequest,
  CALLBACK,
  consentFields,
  decide,
  oauthPost,
  pkcePair,
  startOAuthWorld,
  withBearer,
  type OAuthWorld,
} from './oauth-fixtures.ts';

let world: OAuthWorld;

beforeAll(async () => {
  world = await startOAuthWorld('oauth-code');
});
afterAll(async () => {
  await world.instance.stop();
});

/** Runs consent for a fresh code with PKCE; answers the code and its verifier. */
async function codeWithPkce(clientId: string, extra: Record<string, string> = {}) {
  const { verifier, challenge } = pkcePair();
  const callback = await approveInBrowser(world.instance, world.asAlice, {
    client_id: clientId,
    redirect_uri: CALLBACK,
    response_type: 'code',
    scope: 'api read_user',
    state: 'st-1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
  expect(callback.searchParams.get('state')).toBe('st-1');
  return { code: callback.searchParams.get('code')!, verifier };
}

describe('GET /oauth/authorize', () => {
  it('sends a browser without a session to sign in, with the way back', async () => {
    const app = await world.createApp();
    const response = await authorizeRequest(world.instance, null, {
      client_id: app.clientId,
      response_type: 'code',
    });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!, world.instance.url);
    expect(location.pathname).toBe('/users/sign_in');
    expect(location.searchParams.get('redirect_to')).toBe(
      `/oauth/authorize?client_id=${app.clientId}&response_type=code`,
    );
  });

  it('shows an unknown client or an unregistered redirect URI on the page and never redirects there', async () => {
    const app = await world.createApp();
    const unknown = await authorizeRequest(world.instance, world.asAlice, {
      client_id: 'nope',
      redirect_uri: CALLBACK,
      response_type: 'code',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('location')).toBeNull();
    expect(await unknown.text()).toContain('invalid_client');

    const elsewhere = await authorizeRequest(world.instance, world.asAlice, {
      client_id: app.clientId,
      redirect_uri: 'https://evil.example/cb',
      response_type: 'code',
    });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.headers.get('location')).toBeNull();
    const html = await elsewhere.text();
    expect(html).toContain('invalid_request');
    expect(html).not.toContain('evil.example');
  });

  it('sends every other error back to the redirect URI with the state (RFC 6749 §4.1.2.1)', async () => {
    const publicApp = await world.createApp({ confidential: false });
    const cases: Array<[Record<string, string>, string]> = [
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ scope: 'sudo' }, 'invalid_scope'],
      [{ scope: 'user:1' }, 'invalid_scope'],
      [{ code_challenge: pkcePair().challenge, code_challenge_method: 'plain' }, 'invalid_request'],
      // A public client without PKCE.
      [{}, 'invalid_request'],
    ];
    for (const [extra, error] of cases) {
      const response = await authorizeRequest(world.instance, world.asAlice, {
        client_id: publicApp.clientId,
        redirect_uri: CALLBACK,
        response_type: 'code',
        scope: 'api',
        state: 'keep-me',
        ...extra,
      });
      expect(response.status).toBe(302);
      const location = new URL(response.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(CALLBACK);
      expect(location.searchParams.get('error')).toBe(error);
      expect(location.searchParams.get('state')).toBe('keep-me');
      expect(location.searchParams.get('code')).toBeNull();
    }
  });

  it('shows a consent page whose forms carry the CSRF token, escaped names, and refuses a post without the token', async () => {
    const app = await world.createApp({ name: '<script>alert(1)</script> Tool' });
    const page = await authorizeRequest(world.instance, world.asAlice, {
      client_id: app.clientId,
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'read_user',
    });
    expect(page.status).toBe(200);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    // The same header discipline as every other page: nothing inline, never sniffed, no referrer abroad.
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("style-src 'self'");
    expect(policy).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('same-origin');
    const html = await page.text();
    expect(html).not.toContain('<style');
    const stylesheet = await fetch(`${world.instance.url}${/href="(\/assets\/oauth\.css)"/.exec(html)![1]}`);
    expect(stylesheet.headers.get('content-type')).toMatch(/^text\/css/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Tool');
    expect(html).not.toContain('<script>alert(1)');
    const fields = consentFields(html);
    expect(fields.authenticity_token).toBe(world.asAlice.csrfToken);

    const { authenticity_token: _dropped, ...withoutToken } = fields;
    const forged = await decide(world.instance, world.asAlice, withoutToken, 'approve');
    expect(forged.status).toBe(403);
    expect(forged.headers.get('location')).toBeNull();
  });

  it('answers a denial with access_denied and the state', async () => {
    const app = await world.createApp();
    const page = await authorizeRequest(world.instance, world.asAlice, {
      client_id: app.clientId,
      redirect_uri: CALLBACK,
      response_type: 'code',
      state: 'abc',
    });
    const denied = await decide(world.instance, world.asAlice, consentFields(await page.text()), 'deny');
    expect(denied.status).toBe(302);
    const location = new URL(denied.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('abc');
  });

  it('skips the consent page for a trusted application', async () => {
    const app = await world.createApp({ trusted: true });
    const response = await authorizeRequest(world.instance, world.asAlice, {
      client_id: app.clientId,
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'api',
    });
    expect(response.status).toBe(302);
    const code = new URL(response.headers.get('location')!).searchParams.get('code');
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('authorization code with PKCE at POST /oauth/token', () => {
  it('exchanges a code and the right S256 verifier for tokens that work on the API', async () => {
    const app = await world.createApp();
    const { code, verifier } = await codeWithPkce(app.clientId);
    const answer = await oauthPost(
      world.instance,
      '/oauth/token',
      { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier },
      app,
    );
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toEqual({
      access_token: expect.stringMatching(/^gloat-[A-Za-z0-9_-]{32}$/),
      token_type: 'Bearer',
      expires_in: 7200,
      refresh_token: expect.stringMatching(/^glort-[A-Za-z0-9_-]{32}$/),
      scope: 'api read_user',
      created_at: expect.any(Number),
    });
    expect(Math.abs(answer.body.created_at - Date.now() / 1000)).toBeLessThan(30);

    const me = await withBearer(world.instance, '/api/v4/user', answer.body.access_token);
    expect(me.status).toBe(200);
    expect(me.body.username).toBe('alice');
    const events = await auditEvents(world.instance.context.db, 'oauth_access_token.created');
    expect(events.at(-1)!.details).toMatchObject({
      via: 'authorization_code',
      user_id: world.alice.id,
      refresh_token: true,
    });
    expect(JSON.stringify(events)).not.toContain(answer.body.access_token);
  });

  it('refuses a wrong verifier with invalid_grant and a missing one with invalid_request', async () => {
    const app = await world.createApp();
    const { code, verifier } = await codeWithPkce(app.clientId);
    const wrong = await oauthPost(
      world.instance,
      '/oauth/token',
      { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: pkcePair().verifier },
      app,
    );
    expect(wrong.status).toBe(400);
    expect(wrong.body).toEqual({
      error: 'invalid_grant',
      error_description: 'The code verifier does not match the code challenge.',
    });
    const missing = await oauthPost(
      world.instance,
      '/oauth/token',
      { grant_type: 'authorization_code', code, redirect_uri: CALLBACK },
      app,
    );
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_request');
    // The failed attempts did not spend the code: its owner, with the right verifier, still gets tokens.
    const right = await oauthPost(
      world.instance,
      '/oauth/token',
      { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier },
      app,
    );
    expect(right.status).toBe(200);
  });

  it('asks the token request for redirect_uri only when the authorization request named one (RFC 6749 §4.1.3)', async () => {
    const app = await world.createApp();
    const { verifier, challenge } = pkcePair();
    const callback = await approveInBrowser(world.instance, world.asAlice, {
      client_id: app.clientId,
      response_type: 'code',
      scope: 'api',
      state: 'st-2',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    expect(callback.origin + callback.pathname).toBe(CALLBACK);
    const code = callback.searchParams.get('code')!;
    const answer = await oauthPost(
      world.instance,
      '/oauth/token',
      { grant_type: 'authorization_code', code, code_verifier: verifier },
      app,
    );
    expect(answer.status).toBe(200);
    expect((await withBearer(world.instance, '/api/v4/user', answer.body.access_token)).status).toBe(200);

    const named = await codeWithPkce(app.clientId);
    const withoutUri = await oauthPost(
      world.instance,
      '/oauth/token',
      { grant_type: 'authorization_code', code: named.code, code_verifier: named.verifier },
      app,
    );
    expect(withoutUri.status).toBe(400);
    expect(withoutUri.body.error).toBe('invalid_request');
  });

  it('refuses another redirect URI, another client, and a second use — which revokes what the first use got', async () => {
    const app = await world.createApp();
    const other = await world.createApp();
    const { code, verifier } = await codeWithPkce(app.clientId);
    const exchange = (client: typeof app, redirectUri = CALLBACK) =>
      oauthPost(
        world.instance,
        '/oauth/token',
        { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier },
        client,
      );
    expect((await exchange(app, 'http://127.0.0.1:9/other')).body.error).toBe('invalid_grant');
    expect((await exchange(other)).body.error).toBe('invalid_grant');
    const first = await exchange(app);
    expect(first.status).toBe(200);
    expect((await withBearer(world.instance, '/api/v4/user', first.body.access_token)).status).toBe(200);

    const second = await exchange(app);
    expect(second.status).toBe(400);
    expect(second.body.error).toBe('invalid_grant');
    expect((await withBearer(world.instance, '/api/v4/user', first.body.access_token)).status).toBe(401);
    const revoked = await auditEvents(world.instance.context.db, 'oauth_grant.revoked');
    expect(revoked.at(-1)!.details).toMatchObject({ reason: 'authorization_code_reuse' });
  });

  it('authenticates confidential clients by basic or by form, public clients by client_id alone', async () => {
    const confidential = await world.createApp();
    const viaPost = await codeWithPkce(confidential.clientId);
    const posted = await oauthPost(world.instance, '/oauth/token', {
      grant_type: 'authorization_code',
      code: viaPost.code,
      redirect_uri: CALLBACK,
      code_verifier: viaPost.verifier,
      client_id: confidential.clientId,
      client_secret: confidential.secret,
    });
    expect(posted.status).toBe(200);

    const publicApp = await world.createApp({ confidential: false });
    const viaId = await codeWithPkce(publicApp.clientId);
    const publicAnswer = await oauthPost(world.instance, '/oauth/token', {
      grant_type: 'authorization_code',
      code: viaId.code,
      redirect_uri: CALLBACK,
      code_verifier: viaId.verifier,
      client_id: publicApp.clientId,
    });
    expect(publicAnswer.status).toBe(200);
  });

  it('answers 401 invalid_client, with a Basic challenge when basic was tried', async () => {
    const app = await world.createApp();
    const form = { grant_type: 'authorization_code', code: 'x', redirect_uri: CALLBACK };
    const wrongBasic = await oauthPost(world.instance, '/oauth/token', form, {
      clientId: app.clientId,
      secret: 'gloas-wrong',
    });
    expect(wrongBasic.status).toBe(401);
    expect(wrongBasic.headers.get('www-authenticate')).toBe('Basic realm="tessera"');
    expect(wrongBasic.body.error).toBe('invalid_client');

    const noSecret = await oauthPost(world.instance, '/oauth/token', { ...form, client_id: app.clientId });
    expect(noSecret.status).toBe(401);
    expect(noSecret.headers.get('www-authenticate')).toBeNull();
    expect(noSecret.body).toEqual({
      error: 'invalid_client',
      error_description:
        'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.',
    });
  });

  it('names a missing or unsupported grant type', async () => {
    const app = await world.createApp();
    const missing = await oauthPost(world.instance, '/oauth/token', {}, app);
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_request');
    const password = await oauthPost(world.instance, '/oauth/token', { grant_type: 'password' }, app);
    expect(password.status).toBe(400);
    expect(password.body.error).toBe('unsupported_grant_type');
  });
});
