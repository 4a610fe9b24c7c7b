import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../identity/identity-fixtures.ts';
import type { BrowserSession } from '../identity/http-session.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { oauthPost, startOAuthWorld, withBearer, type OAuthWorld } from './oauth-fixtures.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** The person's side: open the verification page with the code, then approve or deny with the page's CSRF token. */
async function decideOnDevicePage(
  instance: TestInstance,
  session: BrowserSession,
  userCode: string,
  decision: 'approve' | 'deny',
): Promise<{ page: string; status: number; result: string }> {
  const shown = await fetch(`${instance.url}/oauth/device?user_code=${encodeURIComponent(userCode)}`, {
    headers: { cookie: session.cookie },
  });
  const page = await shown.text();
  const token = /name="authenticity_token" value="([^"]+)"/.exec(page)?.[1] ?? '';
  const decided = await fetch(`${instance.url}/oauth/device`, {
    method: 'POST',
    headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user_code: userCode, decision, authenticity_token: token }).toString(),
  });
  return { page, status: decided.status, result: await decided.text() };
}

describe('tessera oauth device-login', () => {
  let world: OAuthWorld;
  beforeAll(async () => {
    world = await startOAuthWorld('oauth-device-cli', { env: { TESSERA_OAUTH_DEVICE_POLL_INTERVAL: '1' } });
  });
  afterAll(async () => {
    await world.instance.stop();
  });

  it('prints the code, waits for the person to approve in the browser, and prints the tokens as JSON', async () => {
    const app = await world.createApp({
      name: 'Tessera CLI',
      confidential: false,
      scopes: ['read_user', 'api'],
    });
    const cli = spawn(
      process.execPath,
      [
        'bin/tessera.mjs',
        'oauth',
        'device-login',
        '--url',
        world.instance.url,
        '--client-id',
        app.clientId,
        '--scope',
        'read_user',
        '--json',
      ],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    cli.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => cli.on('exit', resolve));
    const userCode = await new Promise<string>((resolve, reject) => {
      cli.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /enter the code: ([B-Z]{4}-[B-Z]{4})/.exec(stderr);
        if (match) resolve(match[1]!);
      });
      cli.on('exit', () => reject(new Error(`the CLI exited early: ${stderr}`)));
    });
    expect(stderr).toContain(`open ${world.instance.url}/oauth/device and enter the code`);

    const { page, status, result } = await decideOnDevicePage(
      world.instance,
      world.asAlice,
      userCode,
      'approve',
    );
    expect(page).toContain('Tessera CLI');
    expect(page).toContain('read_user');
    expect(status).toBe(200);
    expect(result).toContain('Device authorized');

    expect(await exited).toBe(0);
    const tokens = JSON.parse(stdout);
    rememberSecret(tokens.access_token);
    rememberSecret(tokens.refresh_token);
    expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'read_user', expires_in: 7200 });
    const me = await withBearer(world.instance, '/api/v4/user', tokens.access_token);
    expect(me.status).toBe(200);
    expect(me.body.username).toBe('alice');
    const approved = await auditEvents(world.instance.context.db, 'oauth_device_authorization.approved');
    expect(approved.at(-1)!.author_id).toBe(world.alice.id);
  });
});

describe('the device authorization grant (RFC 8628)', () => {
  let world: OAuthWorld;
  beforeAll(async () => {
    world = await startOAuthWorld('oauth-device', { env: { TESSERA_AUTH_FAILURE_LIMIT: '3' } });
  });
  afterAll(async () => {
    await world.instance.stop();
  });

  const start = async (app: { clientId: string }) => {
    const answer = await oauthPost(world.instance, '/oauth/authorize_device', {
      client_id: app.clientId,
      scope: 'api',
    });
    expect(answer.status).toBe(200);
    rememberSecret(answer.body.user_code.replace('-', ''));
    return answer.body;
  };
  const poll = (app: { clientId: string }, deviceCode: string) =>
    oauthPost(world.instance, '/oauth/token', {
      grant_type: DEVICE_GRANT,
      device_code: deviceCode,
      client_id: app.clientId,
    });

  it('answers the device authorization response', async () => {
    const app = await world.createApp({ confidential: false });
    const body = await start(app);
    expect(body).toEqual({
      device_code: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      user_code: expect.stringMatching(/^[B-Z]{4}-[B-Z]{4}$/),
      verification_uri: `${world.instance.url}/oauth/device`,
      verification_uri_complete: `${world.instance.url}/oauth/device?user_code=${body.user_code}`,
      expires_in: 600,
      interval: 5,
    });
  });

  it('says authorization_pending, then slow_down to a device polling too fast, then access_denied after a denial', async () => {
    const app = await world.createApp({ confidential: false });
    const body = await start(app);
    const first = await poll(app, body.device_code);
    expect(first.status).toBe(400);
    expect(first.body.error).toBe('authorization_pending');
    const tooFast = await poll(app, body.device_code);
    expect(tooFast.body.error).toBe('slow_down');
    expect(tooFast.body.error_description).toContain('10 seconds');

    const { status, result } = await decideOnDevicePage(
      world.instance,
      world.asAlice,
      body.user_code,
      'deny',
    );
    expect(status).toBe(200);
    expect(result).toContain('Request denied');
    // Let the (raised) interval pass by moving the poll record back, rather than sleeping ten seconds.
    await world.instance.context.db
      .updateTable('oauth_device_codes')
      .set({ last_polled_at: '2000-01-01T00:00:00.000Z' })
      .execute();
    const denied = await poll(app, body.device_code);
    expect(denied.body.error).toBe('access_denied');
  });

  it('says expired_token once the code has expired, and invalid_grant to another client', async () => {
    const app = await world.createApp({ confidential: false });
    const other = await world.createApp({ confidential: false });
    const body = await start(app);
    expect((await poll(other, body.device_code)).body.error).toBe('invalid_grant');
    await world.instance.context.db
      .updateTable('oauth_device_codes')
      .set({ expires_at: '2000-01-01T00:00:00.000Z' })
      .execute();
    const expired = await poll(app, body.device_code);
    expect(expired.status).toBe(400);
    expect(expired.body.error).toBe('expired_token');
  });

  it('issues the tokens exactly once after approval', async () => {
    const app = await world.createApp({ confidential: false });
    const body = await start(app);
    await decideOnDevicePage(world.instance, world.asBob, body.user_code, 'approve');
    const redeemed = await poll(app, body.device_code);
    expect(redeemed.status).toBe(200);
    expect((await withBearer(world.instance, '/api/v4/user', redeemed.body.access_token)).body.username).toBe(
      'bob',
    );
    await world.instance.context.db.updateTable('oauth_device_codes').set({ last_polled_at: null }).execute();
    expect((await poll(app, body.device_code)).body.error).toBe('invalid_grant');
  });

  it('sends a person without a session to sign in, and limits wrong codes', async () => {
    const anonymous = await fetch(`${world.instance.url}/oauth/device?user_code=ABCD-EFGH`, {
      redirect: 'manual',
    });
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get('location')).toBe(
      '/users/sign_in?redirect_to=%2Foauth%2Fdevice%3Fuser_code%3DABCD-EFGH',
    );
    const wrong = () =>
      fetch(`${world.instance.url}/oauth/device?user_code=BBBB-BBBB`, {
        headers: { cookie: world.asRoot.cookie },
      });
    for (let i = 0; i < 3; i++) {
      const response = await wrong();
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('That code is not valid, or it expired.');
    }
    const locked = await wrong();
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
