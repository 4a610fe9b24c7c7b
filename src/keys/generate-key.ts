import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { SigningAlgorithm } from '../config/settings.ts';
import { toPublicJwk } from './public-jwk.ts';

/** A freshly generated key pair, as JWKs. The private half never leaves the process unsealed. */
export interface GeneratedKey {
  /** RFC 7638 SHA-256 thumbprint of the public key. */
  kid: string;
  alg: SigningAlgorithm;
  /** What the JWKS publishes: public members plus `kid`, `use` and `alg`. */
  publicJwk: JWK;
  privateJwk: JWK;
}

/**
 * Generates a signing key pair for `alg` (RSA 2048 for RS256, P-256 for ES256).
 *
 * @example
 * const key = await generateKey('ES256');
 * key.publicJwk; // { kty: 'EC', crv: 'P-256', x, y, kid, use: 'sig', alg: 'ES256' }
 */
export async function generateKey(alg: SigningAlgorithm): Promise<GeneratedKey> {
  // Extractable because the private key is stored (sealed) and loaded again by every replica.
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicMembers = toPublicJwk(await exportJWK(publicKey));
  // The thumbprint covers only the required members, so adding kid/use/alg afterwards is safe.
  const kid = await calculateJwkThumbprint(publicMembers, 'sha256');
  return {
    kid,
    alg,
    publicJwk: { ...publicMembers, kid, use: 'sig', alg },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg },
  };
}
