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
export function signInRefusalLocation(error: TesseraError): string {
  const params = new URLSearchParams();
  if (error.code === 'rate_limited') {
    params.set('error', 'rate_limited');
    params.set('retry_after', String(error.details.retryAfterSeconds ?? 60));
  } else {
    params.set('error', error.code === 'bad_request' ? 'missing_field' : 'invalid_login');
  }
  return `${SIGN_IN_PATH}?${params.toString()}`;
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
