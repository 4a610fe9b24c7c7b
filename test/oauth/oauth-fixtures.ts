import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/audit/audit-log.ts';
import type { Engine } from '../../src/store/database.ts';
import type { User } from '../../src/store/schema.ts';
import { createApplication, type NewApplicationInput } from '../../src/tokens/oauth/application.service.ts';
import { oauthDeps } from '../../src/tokens/oauth/oauth-deps.ts';
import { createUserWithPassword } from '../identity/identity-fixtures.ts';
import { signInOverHttp, type BrowserSession } from '../identity/http-session.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import type { Json } from '../tokens/token-fixtures.ts';

export const CALLBACK = 'http://127.0.0.1:9/callback';

/** A running instance with an administrator and two people, each signed in. */
export interface OAuthWorld {
  instance: TestInstance;
  root: User;
  alice: User;
  bob: User;
  asRoot: BrowserSession;
  asAlice: BrowserSession;
  asBob: BrowserSession;
  /** Registers an application straight through the service; its secret is remembered. */
  createApp(fields?: Partial<NewApplicationInput>): Promise<{ id: number; clientId: string; secret: string }>;
}

export async function startOAuthWorld(
  name: string,
  options: { engine?: Engine; env?: Record<string, string> } = {},
): Promise<OAuthWorld> {
  const instance = await startTestInstance({ name, ...options });
  const db = instance.context.db;
  const made = [
    await createUserWithPassword(db, { username: 'root', is_admin: 1 }),
    await createUserWithPassword(db, {
      username: 'alice',
      name: 'Alice Liddell',
      email: 'alice@example.test',
    }),
    await createUserWithPassword(db, { username: 'bob' }),
  ];
  const [asRoot, asAlice, asBob] = await Promise.all(
    made.map((m) => signInOverHttp(instance.url, m.user.username, m.password)),
  );
  return {
    instance,
    root: made[0]!.user,
    alice: made[1]!.user,
    bob: made[2]!.user,
    asRoot: asRoot!,
    asAlice: asAlice!,
    asBob: asBob!,
    async createApp(fields = {}) {
      const created = await createApplication(oauthDeps(instance.context), SYSTEM_ACTOR, {
        name: 'Test client',
        redirectUris: [CALLBACK],
        scopes: ['api', 'read_user', 'openid', 'profile', 'email'],
        confidential: true,
        trusted: false,
        dynamicUserScope: false,
        ownerId: null,
        ...fields,
      });
      if (created.secret !== undefined) rememberSecret(created.secret);
      return { id: created.application.id, clientId: created.application.uid, secret: created.secret ?? '' };
    },
  };
}

/** A PKCE verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** `GET /oauth/authorize` as the signed-in browser, not following redirects. */
export async function authorizeRequest(
  instance: TestInstance,
  session: BrowserSession | null,
  params: Record<string, string>,
): Promise<Response> {
  return fetch(`${instance.url}/oauth/authorize?${new URLSearchParams(params)}`, {
    headers: session ? { cookie: session.cookie } : {},
    redirect: 'manual',
  });
}

/** The hidden fields of the consent page's first (approve) form. */
export function consentFields(html: string): Record<string, string> {
  const form = html.slice(html.indexOf('<form'), html.indexOf('</form>'));
  const fields: Record<string, string> = {};
  for (const match of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[match[1]!] = match[2]!
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  }
  return fields;
}

/** Posts the consent form back with `decision`, as the browser would; answers the redirect. */
export async function decide(
  instance: TestInstance,
  session: BrowserSession,
  fields: Record<string, string>,
  decision: 'approve' | 'deny',
): Promise<Response> {
  return fetch(`${instance.url}/oauth/authorize`, {
    method: 'POST',
    headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...fields, decision }).toString(),
    redirect: 'manual',
  });
}

/** Consent through the real page and form; answers the callback URL the browser is sent to. */
export async function approveInBrowser(
  instance: TestInstance,
  session: BrowserSession,
  params: Record<string, string>,
): Promise<URL> {
  const page = await authorizeRequest(instance, session, params);
  expect(page.status).toBe(200);
  const approved = await decide(instance, session, consentFields(await page.text()), 'approve');
  expect(approved.status).toBe(302);
  const location = new URL(approved.headers.get('location')!);
  const code = location.searchParams.get('code');
  if (code) rememberSecret(code);
  return location;
}

/** A form POST to an OAuth endpoint, optionally with HTTP basic client credentials; secrets in the answer are remembered. */
export async function oauthPost(
  instance: TestInstance,
  path: string,
  form: Record<string, string>,
  basic?: { clientId: string; secret: string },
): Promise<{ status: number; headers: Headers; body: Json }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic)
    headers.authorization = `Basic ${Buffer.from(`${basic.clientId}:${basic.secret}`).toString('base64')}`;
  const response = await fetch(`${instance.url}${path}`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  for (const key of ['access_token', 'refresh_token', 'id_token', 'device_code']) {
    if (typeof body?.[key] === 'string') rememberSecret(body[key]);
  }
  return { status: response.status, headers: response.headers, body };
}

/** A GET to the REST API with a bearer token. */
export async function withBearer(
  instance: TestInstance,
  path: string,
  token: string,
): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${instance.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** A response's JSON body, for assertions. */
export async function json(response: Response): Promise<Json> {
  return (await response.json()) as Json;
}
