import { request as httpRequest } from 'node:http';
import { expect } from 'vitest';
import { rememberSecret } from '../support/secrets.ts';

/** A signed-in browser: its cookie header and the CSRF token the sign-in returned. */
export interface BrowserSession {
  cookie: string;
  csrfToken: string;
  userId: number;
}

/** The `_tessera_session=…` pair a response set, remembered for the log-leak check. */
export function sessionCookieOf(response: Response): string {
  const setCookie = response.headers.getSetCookie().find((c) => c.startsWith('_tessera_session='));
  expect(setCookie).toBeDefined();
  const pair = setCookie!.split(';')[0]!;
  rememberSecret(pair.slice('_tessera_session='.length));
  return pair;
}

/** Signs in with JSON and returns the browser session. */
export async function signInOverHttp(
  baseUrl: string,
  login: string,
  password: string,
): Promise<BrowserSession> {
  const response = await fetch(`${baseUrl}/users/sign_in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { id: number; csrf_token: string };
  rememberSecret(body.csrf_token);
  return { cookie: sessionCookieOf(response), csrfToken: body.csrf_token, userId: body.id };
}

/** Fetch as a signed-in browser would from a script: cookie always, CSRF header on writes. */
export async function asBrowser(
  session: BrowserSession,
  url: string,
  init: { method?: string; json?: unknown; csrf?: boolean } = {},
): Promise<Response> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { cookie: session.cookie };
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  if (init.csrf ?? method !== 'GET') headers['x-csrf-token'] = session.csrfToken;
  return fetch(url, {
    method,
    headers,
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
}

/**
 * A JSON POST sent from a chosen loopback address (127.0.0.2, …), so tests can be several clients:
 * fetch cannot pick its source address, node:http can.
 */
export async function postFrom(
  localAddress: string,
  url: string,
  json: unknown,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: unknown }> {
  const payload = JSON.stringify(json);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text ? JSON.parse(text) : null,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** What a browser holds after loading the sign-in page: its cookies and the form's token. */
export interface SignInForm {
  cookie: string;
  authenticityToken: string;
}

/** Loads `GET /users/sign_in` as a browser would (with `cookie`, if any) and reads its form. */
export async function loadSignInForm(baseUrl: string, cookie = ''): Promise<SignInForm> {
  const response = await fetch(`${baseUrl}/users/sign_in`, {
    redirect: 'manual',
    headers: cookie ? { cookie } : {},
  });
  const page = await response.text();
  const set = response.headers.getSetCookie().map((c) => c.split(';')[0]!);
  for (const pair of set) rememberSecret(pair.slice(pair.indexOf('=') + 1));
  const token = /name="authenticity_token" value="([^"]*)"/.exec(page)?.[1] ?? '';
  if (token) rememberSecret(token);
  return { cookie: [cookie, ...set].filter(Boolean).join('; '), authenticityToken: token };
}

/**
 * A browser's sign-in form post (the page loaded first, its token sent back), not following the
 * redirect. `fields` are the form's other fields; `redirect_to` among them if wanted.
 */
export async function postSignInForm(
  baseUrl: string,
  fields: Record<string, string>,
  form?: SignInForm,
): Promise<Response> {
  const loaded = form ?? (await loadSignInForm(baseUrl));
  return fetch(`${baseUrl}/users/sign_in`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'text/html',
      ...(loaded.cookie ? { cookie: loaded.cookie } : {}),
    },
    body: new URLSearchParams({ authenticity_token: loaded.authenticityToken, ...fields }).toString(),
  });
}
