import { randomBytes, randomInt } from 'node:crypto';
import { randomSecret } from '../../crypto/secrets.ts';

/*
 * The OAuth provider's secrets. GitLab gives OAuth access and refresh tokens no prefix; Tessera gives
 * them one (`gloat-`, `glort-`) so secret scanners recognise a leaked one and the API routes it to its
 * authenticator by prefix. Application secrets keep GitLab's `gloas-`.
 */

export const APPLICATION_SECRET_PREFIX = 'gloas-';
export const OAUTH_ACCESS_TOKEN_PREFIX = 'gloat-';
export const OAUTH_REFRESH_TOKEN_PREFIX = 'glort-';

/** A prefix as this instance writes it: with the optional instance prefix in front. */
export function withInstancePrefix(instancePrefix: string, typePrefix: string): string {
  return instancePrefix ? `${instancePrefix}-${typePrefix}` : typePrefix;
}

/** True when the plaintext carries the type prefix, with or without the instance prefix. */
export function hasTypePrefix(plaintext: string, instancePrefix: string, typePrefix: string): boolean {
  return (
    plaintext.startsWith(typePrefix) || plaintext.startsWith(withInstancePrefix(instancePrefix, typePrefix))
  );
}

/**
 * A fresh prefixed secret (192 random bits).
 *
 * @example
 * mintPrefixedSecret('', OAUTH_ACCESS_TOKEN_PREFIX); // 'gloat-…'
 */
export function mintPrefixedSecret(instancePrefix: string, typePrefix: string): string {
  return `${withInstancePrefix(instancePrefix, typePrefix)}${randomSecret()}`;
}

/** A `client_id`: 64 hex characters, like the platform's application uids. Public, not a secret. */
export function mintClientId(): string {
  return randomBytes(32).toString('hex');
}

/** Authorization codes and device codes: 256 random bits, no prefix (they never leave the protocol). */
export function mintOpaqueCode(): string {
  return randomSecret(32);
}

/** Letters a person reads and types without confusion: no vowels (no words), no look-alikes (RFC 8628 §6.1). */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_LENGTH = 8;

/** A user code shown as `WDJB-MJHT`: 8 letters of 20, about 34.6 bits; wrong guesses are rate limited. */
export function mintUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** The user code as stored (digested): upper case, separators and spaces dropped; '' when it cannot be one. */
export function normalizeUserCode(typed: string): string {
  const letters = typed.toUpperCase().replace(/[\s-]/g, '');
  return letters.length === USER_CODE_LENGTH && [...letters].every((c) => USER_CODE_ALPHABET.includes(c))
    ? letters
    : '';
}
