import type { JWK } from 'jose';

/** Members a published signing key may carry: everything else (`d`, `p`, `q`, …) is private. */
const PUBLIC_MEMBERS = ['kty', 'kid', 'use', 'alg', 'n', 'e', 'crv', 'x', 'y'] as const;

/**
 * The public part of a JWK, by allow-list rather than by removing known private members, so a member
 * we did not think of can never leak into a JWKS.
 *
 * @example
 * toPublicJwk(privateJwk); // { kty: 'RSA', n, e, kid, use: 'sig', alg: 'RS256' }
 */
export function toPublicJwk(jwk: JWK): JWK {
  const result: JWK = {};
  for (const member of PUBLIC_MEMBERS) {
    const value = jwk[member];
    if (typeof value === 'string') result[member] = value;
  }
  return result;
}
