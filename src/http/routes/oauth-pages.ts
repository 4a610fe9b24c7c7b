/*
 * The OAuth provider's pages — consent, device verification, sign-out — rendered on the server, small
 * and self-contained (the web UI has its own layout). Every interpolated value passes through `esc`: names,
 * scopes, URIs and codes come from clients and must never become markup.
 */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for element content or a double-quoted attribute. */
export function esc(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** The pages' stylesheet: served from the instance, so the pages need no inline style. */
export const OAUTH_STYLESHEET_PATH = '/assets/oauth.css';

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${esc(title)} · Tessera</title><link rel="stylesheet" href="${OAUTH_STYLESHEET_PATH}"></head><body>${body}</body></html>`;
}

const hidden = (fields: Record<string, string | undefined>) =>
  Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`)
    .join('');

/** What each scope lets the application do, in words a person decides on. */
const SCOPE_WORDS: Record<string, string> = {
  api: 'Full read and write access to the API, on your behalf',
  read_api: 'Read access to the API',
  read_user: 'Read your profile',
  read_repository: 'Read repositories (clone, pull)',
  write_repository: 'Read and write repositories (push)',
  read_registry: 'Pull container images',
  write_registry: 'Push container images',
  openid: 'Sign you in (OpenID Connect)',
  profile: 'Read your name and username',
  email: 'Read your email address',
  ai_workflows: 'Run AI workflows on your behalf',
};

function scopeList(scopes: readonly string[]): string {
  return `<ul>${scopes
    .map(
      (scope) => `<li><code>${esc(scope)}</code> — ${esc(SCOPE_WORDS[scope] ?? 'Act with this scope')}</li>`,
    )
    .join('')}</ul>`;
}

/** The consent page of the authorization code flow: approve and deny both post the request back with the CSRF token. */
export function consentPage(view: {
  applicationName: string;
  username: string;
  scopes: readonly string[];
  redirectUri: string;
  csrfToken: string;
  /** The authorization request's parameters, repeated so the decision is checked afresh. */
  request: Record<string, string | undefined>;
}): string {
  const fields = hidden({ ...view.request, authenticity_token: view.csrfToken });
  return page(
    'Authorize application',
    `<h1>Authorize <strong>${esc(view.applicationName)}</strong> to use your account?</h1>
<p>Signed in as <strong>${esc(view.username)}</strong>. The application asks to:</p>${scopeList(view.scopes)}
<p>You will be sent back to <code>${esc(view.redirectUri)}</code>.</p>
<form method="post" action="/oauth/authorize">${fields}<input type="hidden" name="decision" value="approve"><button class="approve" type="submit">Authorize</button></form>
<form method="post" action="/oauth/authorize">${fields}<input type="hidden" name="decision" value="deny"><button class="deny" type="submit">Deny</button></form>`,
  );
}

/** An authorization request that cannot be sent back to its client (unknown client, unregistered redirect URI). */
export function authorizationErrorPage(error: string, description: string): string {
  return page(
    'Authorization error',
    `<h1>The authorization request cannot be completed</h1><p class="error"><strong>${esc(error)}</strong>: ${esc(description)}</p>
<p>Tell the application's developer; nothing was sent back to it.</p>`,
  );
}

/** Where the person types the code their device shows. */
export function deviceEntryPage(view: { prefill?: string; problem?: string }): string {
  return page(
    'Connect a device',
    `<h1>Connect a device</h1>${view.problem ? `<p class="error">${esc(view.problem)}</p>` : ''}
<form method="get" action="/oauth/device"><label for="user_code">Code shown on your device</label><br>
<input type="text" id="user_code" name="user_code" autocomplete="off" autocapitalize="characters" required value="${esc(view.prefill ?? '')}">
<button class="approve" type="submit">Continue</button></form>`,
  );
}

/** The device's request, for the person to approve or deny. */
export function deviceConsentPage(view: {
  applicationName: string;
  username: string;
  scopes: readonly string[];
  userCode: string;
  csrfToken: string;
}): string {
  const fields = hidden({ user_code: view.userCode, authenticity_token: view.csrfToken });
  return page(
    'Authorize device',
    `<h1>Authorize <strong>${esc(view.applicationName)}</strong> on your device?</h1>
<p>Signed in as <strong>${esc(view.username)}</strong>. Only continue if your device shows the code <code>${esc(view.userCode)}</code>. It asks to:</p>${scopeList(view.scopes)}
<form method="post" action="/oauth/device">${fields}<input type="hidden" name="decision" value="approve"><button class="approve" type="submit">Authorize</button></form>
<form method="post" action="/oauth/device">${fields}<input type="hidden" name="decision" value="deny"><button class="deny" type="submit">Deny</button></form>`,
  );
}

/** After the decision: the person goes back to their device. */
export function deviceDonePage(approved: boolean, applicationName: string): string {
  return page(
    approved ? 'Device authorized' : 'Device denied',
    approved
      ? `<h1>Device authorized</h1><p><strong>${esc(applicationName)}</strong> is now connected. You can return to your device.</p>`
      : `<h1>Request denied</h1><p><strong>${esc(applicationName)}</strong> was not given access.</p>`,
  );
}

/** Any other failure on these pages (rate limited, forbidden), with its status. */
export function plainErrorPage(message: string): string {
  return page('Error', `<h1>Something went wrong</h1><p class="error">${esc(message)}</p>`);
}

/** RP-initiated logout without a hint naming this session: the person confirms, so no site can sign them out. */
export function endSessionConfirmPage(view: {
  username: string;
  applicationName: string | null;
  csrfToken: string;
  request: Record<string, string | undefined>;
}): string {
  const fields = hidden({ ...view.request, authenticity_token: view.csrfToken });
  const from = view.applicationName
    ? ` <strong>${esc(view.applicationName)}</strong> asks to sign you out.`
    : '';
  return page(
    'Sign out',
    `<h1>Sign out of Tessera?</h1><p>Signed in as <strong>${esc(view.username)}</strong>.${from}</p>
<form method="post" action="/oauth/logout">${fields}<button class="approve" type="submit">Sign out</button></form>`,
  );
}

/** After an RP-initiated logout with nowhere registered to return to. */
export function signedOutPage(): string {
  return page('Signed out', '<h1>You are signed out</h1><p>You can close this window.</p>');
}
