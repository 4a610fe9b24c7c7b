import { TesseraError } from '../errors/tessera-error.ts';
import { safeRedirectPath } from '../http/safe-redirect.ts';

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

/**
 * A `redirect_to` value made safe: a path of this site (`/oauth/authorize?…`), or null. The check is
 * the shared {@link safeRedirectPath} (judged after normalisation, so `/.//evil.example` is refused
 * too); the sign-in page itself is refused as well, so signing in never lands on the form again.
 *
 * @example
 * safeReturnPath('/oauth/authorize?client_id=x'); // '/oauth/authorize?client_id=x'
 * safeReturnPath('//evil.example/'); // null
 */
export function safeReturnPath(value: unknown, origin?: string): string | null {
  const path = safeRedirectPath(value, origin);
  if (path === null || isSignInPage(path)) return null;
  return path;
}

function isSignInPage(path: string): boolean {
  const pathname = path.split(/[?#]/, 1)[0]!;
  return pathname.replace(/\/+$/, '') === SIGN_IN_PATH;
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
