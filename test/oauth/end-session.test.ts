import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInOverHttp, type BrowserSession } from '../identity/http-session.ts';
import { createUserWithPassword } from '../identity/identity-fixtures.ts';
import { rememberSecret } from '../support/secrets.ts';
import {
  approveInBrowser,
  CALLBACK,
  consentFields,
  startOAuthWorld,
  type OAuthWorld,
} from './oauth-fixtures.ts';

/* RP-initiated logout, driven by an unmodified openid-client. */

describe('the end-session endpoint', () => {
  let world: OAuthWorld;
  let app: { clientId: string; secret: string };
  let config: client.Configuration;

  /** A fresh signed-in person and the ID token the relying party got for them. */
  async function signedInWithIdToken(
    username: string,
  ): Promise<{ session: BrowserSession; idToken: string }> {
    const made = await createUserWithPassword(world.instance.context.db, { username });
    const session = await signInOverHttp(world.instance.url, username, made.password);
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const callback = await approveInBrowser(world.instance, session, Object.fromEntries(url.searchParams));
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier });
    rememberSecret(tokens.access_token);
    if (tokens.refresh_token) rememberSecret(tokens.refresh_token);
    return { session, idToken: rememberSecret(tokens.id_token!) };
  }

  const visit = (url: URL | string, session: BrowserSession | null) =>
    fetch(url, { headers: session ? { cookie: session.cookie } : {}, redirect: 'manual' });
  const stillSignedIn = async (session: BrowserSession) =>
    (await visit(`${world.instance.url}/-/session`, session)).status === 200;

  beforeAll(async () => {
    world = await startOAuthWorld('oauth-end-session');
    app = await world.createApp({ scopes: ['openid', 'read_user'] });
    config = await client.discovery(new URL(world.instance.url), app.clientId, app.secret, undefined, {
      execute: [client.allowInsecureRequests],
    });
  });
  afterAll(() => world.instance.stop());

  it('is in discovery, and a hint naming the signed-in person ends the session and returns with state', async () => {
    expect(config.serverMetadata().end_session_endpoint).toBe(`${world.instance.url}/oauth/logout`);
    const { session, idToken } = await signedInWithIdToken('carol');
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: idToken,
      post_logout_redirect_uri: CALLBACK,
      state: 'af0ifjsldkj',
    });
    const answer = await visit(url, session);
    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toBe(`${CALLBACK}?state=af0ifjsldkj`);
    expect(await stillSignedIn(session)).toBe(false);
    const audit = await world.instance.context.db
      .selectFrom('audit_events')
      .select('author_name')
      .where('action', '=', 'user.signed_out')
      .execute();
    expect(audit.map((event) => event.author_name)).toContain('carol');
  });

  it('asks before ending a session the hint does not name, and ends it once the person confirms', async () => {
    const { idToken } = await signedInWithIdToken('dave');
    const erin = await signInOverHttp(
      world.instance.url,
      'erin',
      (await createUserWithPassword(world.instance.context.db, { username: 'erin' })).password,
    );
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: idToken,
      post_logout_redirect_uri: CALLBACK,
    });
    const page = await visit(url, erin);
    expect(page.status).toBe(200);
    expect(await stillSignedIn(erin)).toBe(true);
    const fields = consentFields(await page.text());
    expect(fields.authenticity_token).toBe(erin.csrfToken);

    const confirmed = await fetch(`${world.instance.url}/oauth/logout`, {
      method: 'POST',
      headers: { cookie: erin.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });
    expect(confirmed.status).toBe(302);
    expect(confirmed.headers.get('location')).toBe(CALLBACK);
    expect(await stillSignedIn(erin)).toBe(false);
  });

  it('refuses an unregistered return URI, a forged hint and a confirmation without the CSRF token', async () => {
    const { session, idToken } = await signedInWithIdToken('frank');
    const elsewhere = client.buildEndSessionUrl(config, {
      id_token_hint: idToken,
      post_logout_redirect_uri: 'https://evil.example/after',
    });
    expect((await visit(elsewhere, session)).status).toBe(400);

    const [header, payload] = idToken.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(86)}`;
    expect((await visit(client.buildEndSessionUrl(config, { id_token_hint: forged }), session)).status).toBe(
      400,
    );

    const noToken = await fetch(`${world.instance.url}/oauth/logout`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
      redirect: 'manual',
    });
    expect(noToken.status).toBe(403);
    expect(await stillSignedIn(session)).toBe(true);
  });
});
