import { randomUUID } from 'node:crypto';
import { SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { badRequest } from '../errors/tessera-error.ts';

/** The active key of a role, ready to sign. */
export interface Signer {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
}

/** What the caller decides about one token. */
export interface SignJwtOptions {
  /** `typ` header, e.g. `JWT` or `at+jwt`; omitted when unset. */
  typ?: string;
  /** Lifetime from now; at most the configured maximum JWT lifetime. */
  expiresInSeconds: number;
  audience?: string | string[];
  subject?: string;
  /** Defaults to the instance's external URL. */
  issuer?: string;
  /**
   * Header members that depend on the key that signs, given its RFC 7638 thumbprint; they replace the
   * defaults. The container registry, for one, finds its key by a libtrust `kid` or an `x5c` chain.
   * Asked at signing time so the header always describes the key that actually signed.
   */
  keyHeader?: (thumbprint: string) => Record<string, unknown> | Promise<Record<string, unknown>>;
}

/** What the signer's configuration decides for every token. */
export interface SigningPolicy {
  now: Date;
  defaultIssuer: string;
  maxLifetimeSeconds: number;
}

/** GitLab sets `nbf` five seconds before `iat` so that a verifier whose clock runs slow still accepts it. */
const NOT_BEFORE_LEEWAY_SECONDS = 5;

/**
 * Signs `claims` as a JWT with `kid`, `alg`, `iat`, `nbf`, `exp`, `jti` and `iss` set. A string `jti`
 * in `claims` is kept (for callers that record it to revoke the token); otherwise a random UUID is used.
 *
 * @example
 * const jwt = await signJwt(signer, { project_id: '42' }, { expiresInSeconds: 300, audience: 'https://vault' }, policy);
 */
export async function signJwt(
  signer: Signer,
  claims: JWTPayload,
  options: SignJwtOptions,
  policy: SigningPolicy,
): Promise<string> {
  const lifetime = options.expiresInSeconds;
  if (!Number.isInteger(lifetime) || lifetime <= 0) {
    throw badRequest('expires_in', 'must be a positive whole number of seconds');
  }
  if (lifetime > policy.maxLifetimeSeconds) {
    throw badRequest('expires_in', `must not exceed ${policy.maxLifetimeSeconds} seconds`);
  }
  const iat = Math.floor(policy.now.getTime() / 1000);
  const keyHeader = options.keyHeader ? await options.keyHeader(signer.kid) : {};
  const jwt = new SignJWT(claims)
    .setProtectedHeader({
      alg: signer.alg,
      kid: signer.kid,
      ...(options.typ ? { typ: options.typ } : {}),
      ...keyHeader,
    })
    .setIssuer(options.issuer ?? policy.defaultIssuer)
    .setIssuedAt(iat)
    .setNotBefore(iat - NOT_BEFORE_LEEWAY_SECONDS)
    .setExpirationTime(iat + lifetime)
    .setJti(typeof claims.jti === 'string' ? claims.jti : randomUUID());
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  if (options.subject !== undefined) jwt.setSubject(options.subject);
  return jwt.sign(signer.privateKey);
}
