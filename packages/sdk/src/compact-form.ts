import { SdkError } from './errors.ts';

const SEGMENT = /^[A-Za-z0-9_-]*$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Refuses a compact JWS that is not in its one canonical form (RFC 7515 §2 and §7.1: base64url
 * without padding, whitespace or line breaks; RFC 4648 §3.5: unused trailing bits zero). jose decodes
 * `sig==`, `sig ` and a last character with other trailing bits to the same bytes, so one signed token
 * would have many spellings — each a "different" token to caches, logs and deny-lists.
 *
 * @example
 * ```ts
 * assertCanonicalCompact(token); // throws SdkError('invalid_token', 'malformed', …) on `a.b.c==`
 * ```
 */
export function assertCanonicalCompact(token: string): void {
  const segments = token.split('.');
  if (segments.length !== 3 || !segments.every((segment) => isCanonical(segment))) {
    throw new SdkError('invalid_token', 'malformed', 'the token is malformed');
  }
}

function isCanonical(segment: string): boolean {
  if (!SEGMENT.test(segment)) return false;
  // The last character of a segment whose length is 2 or 3 (mod 4) carries 4 or 2 unused bits, which
  // must be zero; length 1 (mod 4) encodes no whole byte at all.
  const unusedBits = [0, -1, 4, 2][segment.length % 4]!;
  if (unusedBits < 0) return false;
  if (unusedBits === 0 || segment.length === 0) return true;
  const value = ALPHABET.indexOf(segment[segment.length - 1]!);
  return (value & ((1 << unusedBits) - 1)) === 0;
}
