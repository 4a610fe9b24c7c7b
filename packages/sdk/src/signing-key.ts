import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { SdkError } from './errors.ts';

/** Algorithms a {@link TokenAuthority} signs with. */
export type AuthorityAlgorithm = 'RS256' | 'ES256';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey | KeyObject;
  publicJwk: JWK;
  /** Latest `exp` among the tokens this key signed: a retired key is published until then. */
  lastExpiry: number;
}

/** A signing key from a PEM or private JWK, or a freshly generated one whose private half never leaves memory. */
export async function loadSigningKey(
  algorithm: AuthorityAlgorithm,
  given: string | JWK | undefined,
): Promise<SigningKey> {
  let privateKey: CryptoKey | KeyObject;
  let publicJwk: JWK;
  if (given === undefined) {
    const pair = await generateKeyPair(algorithm);
    privateKey = pair.privateKey;
    publicJwk = await exportJWK(pair.publicKey);
  } else {
    const keyObject =
      typeof given === 'string'
        ? createPrivateKey(given)
        : createPrivateKey({ key: given as JsonWebKey, format: 'jwk' });
    assertFitsAlgorithm(keyObject, algorithm);
    privateKey = keyObject;
    publicJwk = createPublicKey(keyObject).export({ format: 'jwk' }) as JWK;
  }
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
  return {
    kid,
    privateKey,
    publicJwk: { ...publicJwk, kid, alg: algorithm, use: 'sig' },
    lastExpiry: Number.NEGATIVE_INFINITY,
  };
}

function assertFitsAlgorithm(key: KeyObject, algorithm: AuthorityAlgorithm): void {
  const details = key.asymmetricKeyDetails ?? {};
  const fits =
    algorithm === 'RS256'
      ? key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048
      : key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1';
  if (!fits) {
    throw new SdkError(
      'invalid_configuration',
      'configuration',
      `the private key does not fit ${algorithm} (RSA ≥ 2048 bits or EC P-256)`,
    );
  }
}
