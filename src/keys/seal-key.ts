import { importJWK, type CryptoKey, type JWK } from 'jose';
import type { SecretBox } from '../crypto/secrets.ts';
import type { SigningKey } from '../store/schema.ts';
import type { GeneratedKey } from './generate-key.ts';

/** A key in the form the store keeps: public JWK as JSON, private JWK encrypted. */
export interface SealedKey {
  kid: string;
  alg: string;
  public_jwk: string;
  private_jwk_encrypted: string;
}

/** The encryption context binds a sealed private key to its kid, so it cannot be swapped into another row. */
const contextOf = (kid: string): string => `signing_key:${kid}`;

/**
 * Encrypts the private half under the key-encryption key.
 *
 * @example
 * const sealed = sealKey(box, await generateKey('RS256'));
 */
export function sealKey(box: SecretBox, key: GeneratedKey): SealedKey {
  return {
    kid: key.kid,
    alg: key.alg,
    public_jwk: JSON.stringify(key.publicJwk),
    private_jwk_encrypted: box.seal(JSON.stringify(key.privateJwk), contextOf(key.kid)),
  };
}

/**
 * Decrypts a stored key's private half and imports it for signing.
 *
 * @example
 * const privateKey = await unsealKey(box, row);
 */
export async function unsealKey(
  box: SecretBox,
  row: Pick<SigningKey, 'kid' | 'alg' | 'private_jwk_encrypted'>,
): Promise<CryptoKey> {
  const key = await importJWK(openPrivateJwk(box, row), row.alg);
  // Only a symmetric JWK imports as raw bytes; a stored signing key never is one.
  if (key instanceof Uint8Array) throw new Error(`signing key ${row.kid} is not an asymmetric key`);
  return key;
}

/**
 * The decrypted private JWK of a stored key, for the one use besides signing: the registry wraps its
 * key in a self-signed certificate, which openssl signs with it.
 */
export function openPrivateJwk(box: SecretBox, row: Pick<SigningKey, 'kid' | 'private_jwk_encrypted'>): JWK {
  return JSON.parse(box.open(row.private_jwk_encrypted, contextOf(row.kid))) as JWK;
}
