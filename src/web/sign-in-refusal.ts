import { TesseraError } from '../errors/tessera-error.ts';

/**
 * A refused browser sign-in goes back to the sign-in page with the reason in the query, and the page
 * says it in words. Only these fixed reasons exist, so a crafted link can show nothing but one of
 * our own messages.
 */
export const SIGN_IN_PATH = '/users/sign_in';

type Reason = 'invalid_login' | 'rate_limited' | 'missing_field';

const MESSAGES: Record<Reason, string> = {
  invalid_login: 'Invalid login or password.',
  rate_limited: 'Too many failed sign-in attempts. Sign-in is paused for this account and address.',
  missing_field: 'Enter both your username (or email) and your password.',
};

/**
 * Where a browser goes after a refused sign-in.
 *
 * @example
 * signInRefusalLocation(new TesseraError('rate_limited', '…', { retryAfterSeconds: 60 }))
 * // '/users/sign_in?error=rate_limited&retry_after=60'
 */
export function signInRefusalLocation(error: TesseraError, returnTo: string | null = null): string {
  const params = new URLSearchParams();
  if (error.code === 'rate_limited') {
    params.set('error', 'rate_limited');
    params.set('retry_after', String(error.details.retryAfterSeconds ?? 60));
  } else {
    params.set('error', error.code === 'bad_request' ? 'missing_field' : 'invalid_login');
  }
  if (returnTo) params.set('redirect_to', returnTo);
  return `${SIGN_IN_PATH}?${params.toString()}`;
}

/** The sign-in page for a browser that asked for `returnTo` first, so it comes back there after. */
export function signInLocation(returnTo: string): string {
  const path = safeReturnPath(returnTo);
  return path && path !== '/' ? `${SIGN_IN_PATH}?redirect_to=${encodeURIComponent(path)}` : SIGN_IN_PATH;
}

const MAX_RETURN_PATH = 2048;
const PROBE_ORIGIN = 'http://tessera.invalid';

/**
 * A `redirect_to` value made safe: a path of this site (`/oauth/authorize?…`), or null. Anything
 * that could leave the site — another origin, `//host`, `/\host`, a scheme, control characters — is
 * null, so a crafted sign-in link cannot send a person elsewhere after they sign in.
 *
 * @example
 * safeReturnPath('/oauth/authorize?client_id=x'); // '/oauth/authorize?client_id=x'
 * safeReturnPath('//evil.example/'); // null
 */
export function safeReturnPath(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > MAX_RETURN_PATH) return null;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return null;
  for (const char of value) {
    const code = char.charCodeAt(0);
    if (code < 0x20 || code === 0x7f || char === '\\') return null;
  }
  let url: URL;
  try {
    url = new URL(value, PROBE_ORIGIN);
  } catch {
    return null;
  }
  if (url.origin !== PROBE_ORIGIN) return null;
  if (url.pathname === SIGN_IN_PATH) return null;
  return `${url.pathname}${url.search}`;
}

/** The message for the `error` and `retry_after` query parameters; null for none or an unknown one. */
export function signInRefusalMessage(reason: string, retryAfter: string): string | null {
  if (!Object.hasOwn(MESSAGES, reason)) return null;
  const message = MESSAGES[reason as Reason];
  if (reason !== 'rate_limited' || !/^\d{1,7}$/.test(retryAfter)) return message;
  const seconds = Number(retryAfter);
  const wait = seconds >= 120 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} seconds`;
  return `${message} Try again in ${wait}.`;
}

export function isSignInRefusal(error: unknown): error is TesseraError {
  return (
    error instanceof TesseraError &&
    (error.code === 'unauthorized' || error.code === 'rate_limited' || error.code === 'bad_request')
  );
}
