import { randomSecret } from '../../crypto/secrets.ts';
import { badRequest } from '../../errors/tessera-error.ts';

/** The type prefix of personal, project and group access tokens: what secret scanners look for. */
export const ACCESS_TOKEN_PREFIX = 'glpat-';

/** A token we mint is the prefix plus 192 random bits; one given to us (a seed) must be at least this long. */
const MIN_GIVEN_LENGTH = 20;
const MAX_GIVEN_LENGTH = 255;

/** The full prefix tokens of this instance carry: `glpat-`, or `<instance>-glpat-` when one is set. */
export function accessTokenPrefix(instancePrefix: string): string {
  return instancePrefix ? `${instancePrefix}-${ACCESS_TOKEN_PREFIX}` : ACCESS_TOKEN_PREFIX;
}

/**
 * A fresh access token secret. Shown to its owner once; only its digest is kept.
 *
 * @example
 * mintAccessTokenSecret('')     // 'glpat-3q2…' (32 base64url characters after the prefix)
 * mintAccessTokenSecret('acme') // 'acme-glpat-…'
 */
export function mintAccessTokenSecret(instancePrefix: string): string {
  return `${accessTokenPrefix(instancePrefix)}${randomSecret()}`;
}

/** True when the plaintext carries the access token prefix, with or without the instance prefix. */
export function looksLikeAccessToken(plaintext: string, instancePrefix: string): boolean {
  return plaintext.startsWith(ACCESS_TOKEN_PREFIX) || plaintext.startsWith(accessTokenPrefix(instancePrefix));
}

/**
 * Checks a secret chosen outside Tessera (the demo seed's `TESSERA_ROOT_TOKEN`): it must look like one
 * we would mint, so scanners and the prefix-based routing still work. The message never repeats it.
 */
export function assertUsableGivenSecret(plaintext: string, instancePrefix: string): void {
  if (!looksLikeAccessToken(plaintext, instancePrefix)) {
    throw badRequest('token', `must start with ${accessTokenPrefix(instancePrefix)}`);
  }
  if (plaintext.length < MIN_GIVEN_LENGTH || plaintext.length > MAX_GIVEN_LENGTH) {
    throw badRequest('token', `must be ${MIN_GIVEN_LENGTH} to ${MAX_GIVEN_LENGTH} characters long`);
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(plaintext))
    throw badRequest('token', 'may only hold letters, digits, ".", "_" and "-"');
}
