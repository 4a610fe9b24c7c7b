import { randomUUID } from 'node:crypto';
import { decodeJwt, type JSONWebKeySet } from 'jose';
import {
  SdkError,
  type CloudConnectorClaims,
  type IssuerConfig,
  type SignedToken,
  type SignOptions,
  type UserTokenSigner,
} from '@tessera/sdk';
import type { KeyManager } from '../keys/key-manager.ts';

/** How long the published keys read from the store are reused: what a flood of unknown `kid`s costs it. */
const JWKS_REUSE_MS = 1000;

/** Claims the signer sets itself; a caller's extra claims cannot override them. */
const REGISTERED = ['iss', 'sub', 'aud', 'iat', 'nbf', 'exp', 'jti', 'scopes'] as const;

/**
 * A user-token signer over one role's keys in the shared store (a {@link KeyManager} role): every
 * replica signs with the role's active key, and verifies with its published keys (active, next and
 * retired ones whose tokens may still live), so a token one replica signed is accepted by all of them
 * and a rotation by any of them (or by `tessera keys rotate`) reaches the others. Claims as
 * TokenAuthority signs them: `iat`, `nbf` 5 s earlier, `exp`, a random `jti`, `typ: JWT`.
 *
 * @example
 * const signer = storeTokenSigner(keys, { role: 'workflow-service', issuer: 'gitlab-duo-workflow-service', maxLifetimeSeconds: 3600 });
 * const verifier = createVerifier({ issuers: [signer.asIssuer()], audience: signer.issuer });
 */
export function storeTokenSigner(
  keys: KeyManager,
  options: { role: string; issuer: string; maxLifetimeSeconds: number },
): UserTokenSigner {
  const { role, issuer, maxLifetimeSeconds } = options;
  let published: { at: number; keys: Promise<JSONWebKeySet> } | undefined;
  const jwks = (): Promise<JSONWebKeySet> => {
    const now = Date.now();
    if (published && now - published.at < JWKS_REUSE_MS && now >= published.at) return published.keys;
    const entry = { at: now, keys: keys.jwks(role) as Promise<JSONWebKeySet> };
    published = entry;
    entry.keys.catch(() => {
      if (published === entry) published = undefined;
    });
    return entry.keys;
  };
  return {
    issuer,
    maxLifetimeSeconds,
    async sign(input: SignOptions): Promise<SignedToken> {
      const lifetime = input.expiresInSeconds ?? maxLifetimeSeconds;
      if (!(Number.isInteger(lifetime) && lifetime > 0 && lifetime <= maxLifetimeSeconds)) {
        throw new SdkError(
          'invalid_configuration',
          'configuration',
          `token lifetime must be 1 to ${maxLifetimeSeconds} s`,
        );
      }
      const extra = { ...input.extraClaims };
      for (const claim of REGISTERED) delete extra[claim];
      const token = await keys.signJwt(
        role,
        { ...extra, jti: randomUUID(), scopes: [...input.scopes] },
        {
          typ: 'JWT',
          issuer,
          subject: input.subject,
          audience: typeof input.audience === 'string' ? input.audience : [...input.audience],
          expiresInSeconds: lifetime,
        },
      );
      const claims = decodeJwt(token) as CloudConnectorClaims;
      return { token, expiresAt: claims.exp!, claims };
    },
    asIssuer(): IssuerConfig {
      return { issuer, jwks };
    },
  };
}
