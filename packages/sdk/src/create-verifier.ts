import { jwtVerify, type JWTVerifyOptions } from 'jose';
import {
  assertCloudConnectorClaims,
  requireScopes,
  type CloudConnectorClaims,
  type ScopeMatch,
} from './claims.ts';
import { assertCanonicalCompact, decodeJsonSegment } from './compact-form.ts';
import { SdkError } from './errors.ts';
import { IssuerKeySet, type FetchLike, type IssuerConfig } from './issuer-key-set.ts';
import { VerifiedTokenCache } from './verified-token-cache.ts';

/** Algorithms a verifier may be told to accept: asymmetric only, so a public key can never act as an HMAC secret. */
export type VerifierAlgorithm =
  'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

/**
 * Settings of {@link createVerifier}. Only `issuers` and `audience` are required.
 *
 * @example
 * ```ts
 * const options: VerifierOptions = {
 *   issuers: [{ issuer: 'https://customers.example.com' }],
 *   audience: 'gitlab-ai-gateway',
 *   algorithms: ['RS256'],
 * };
 * ```
 */
export interface VerifierOptions {
  /** Trusted issuers; a token is checked only against the keys of the issuer its `iss` names. */
  issuers: readonly IssuerConfig[];
  /** This service's name: the token's `aud` must be (or contain) one of these. */
  audience: string | readonly string[];
  /** Explicit allow-list of `alg` values; default `['RS256', 'ES256']`. */
  algorithms?: readonly VerifierAlgorithm[];
  /**
   * `typ` header every token must carry (RFC 8725 §3.11 explicit typing), compared as jose does
   * (`application/` prefix optional, case-insensitive); default none: `typ` is not checked.
   */
  type?: string;
  /** Seconds of clock skew tolerated on `exp`, `nbf` and `iat` (a token issued further in the future is refused); default 5. */
  clockTolerance?: number;
  /** Age after which an issuer's key set is revalidated in the background; default 600. */
  jwksMaxAgeSeconds?: number;
  /** Least time between two fetches of one issuer's keys caused by unknown `kid`s; default 30. */
  unknownKidCooldownSeconds?: number;
  /** Timeout of one discovery or JWKS request; default 5. */
  fetchTimeoutSeconds?: number;
  /** How many verified tokens to remember; default 10 000, 0 turns the cache off. */
  verifiedCacheSize?: number;
  /** `fetch` used for discovery and JWKS; default the global one. */
  fetch?: FetchLike;
  /** Current time in milliseconds; tests freeze it. */
  now?: () => number;
  /** Called when an issuer's keys cannot be fetched (verification goes on with cached keys). */
  onKeyFetchError?: (error: Error, issuer: string) => void;
}

/**
 * Per-call requirements of {@link Verifier.verify}.
 *
 * @example
 * ```ts
 * await verifier.verify(token, { scopes: ['duo_agent_platform', 'duo_workflow_generate_token'], scopeMatch: 'any' });
 * ```
 */
export interface VerifyOptions {
  /** Scopes the token must grant; default none. */
  scopes?: readonly string[];
  /** Whether every scope is needed (`all`, the default) or any one of them. */
  scopeMatch?: ScopeMatch;
}

/**
 * Verifies Cloud Connector tokens. Made by {@link createVerifier}.
 *
 * @example
 * ```ts
 * const claims = await verifier.verify(token, { scopes: ['complete_code'] });
 * console.log(claims.sub, claims.scopes);
 * ```
 */
export interface Verifier {
  /** Resolves with the token's claims, or rejects with an {@link SdkError}. */
  verify(token: string, options?: VerifyOptions): Promise<CloudConnectorClaims>;
  readonly issuers: readonly string[];
  readonly audience: readonly string[];
}

/** Tokens longer than this are refused before any parsing: no legitimate Cloud Connector token comes close. */
export const MAX_TOKEN_BYTES = 8 * 1024;

/**
 * Creates a verifier of RS256/ES256 JWTs from several issuers, with per-issuer JWKS caching and a
 * cache of already-verified tokens.
 *
 * Checks, in order: size; a cache hit (then only scopes); canonical compact form (no padding,
 * whitespace or stray trailing bits); `iss` (read unverified) names a configured issuer; signature
 * against that issuer's keys only, selected by `kid`; `alg` in the allow-list; `typ` when configured;
 * `iss`, `aud`, `exp` (required), `nbf`, `iat` not in the future; the `scopes` claim. `jku`, `x5u` and embedded `jwk` headers
 * are never used; an unknown `crit` header is refused.
 *
 * @example
 * ```ts
 * import { createVerifier } from '@tessera/sdk';
 *
 * const verifier = createVerifier({
 *   issuers: [{ issuer: 'https://customers.example.com' }, { issuer: 'https://gitlab.com' }],
 *   audience: 'gitlab-ai-gateway',
 * });
 * const claims = await verifier.verify(token, { scopes: ['complete_code'] });
 * ```
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const now = options.now ?? Date.now;
  const algorithms = [...(options.algorithms ?? ['RS256', 'ES256'])];
  const audience = typeof options.audience === 'string' ? [options.audience] : [...options.audience];
  const clockTolerance = options.clockTolerance ?? 5;
  const keySets = buildKeySets(options, now);
  const cacheSize = options.verifiedCacheSize ?? 10_000;
  const cache = cacheSize > 0 ? new VerifiedTokenCache(cacheSize) : undefined;
  if (algorithms.length === 0 || audience.length === 0) {
    throw new SdkError(
      'invalid_configuration',
      'configuration',
      'a verifier needs at least one algorithm and one audience',
    );
  }

  // What jose is told for each issuer, built once: it does not change between calls. Only an
  // injected clock adds a per-call `currentDate`; otherwise jose reads the same system clock.
  const checksOf = new Map<IssuerKeySet, JWTVerifyOptions>();
  for (const keySet of keySets.values()) {
    checksOf.set(keySet, {
      issuer: keySet.config.issuer,
      audience,
      algorithms,
      clockTolerance,
      requiredClaims: ['exp'],
      ...(options.type === undefined ? {} : { typ: options.type }),
    });
  }

  async function verifySignedToken(token: string): Promise<CloudConnectorClaims> {
    const [encodedHeader, encodedPayload] = assertCanonicalCompact(token);
    const claims = decodeJsonSegment(encodedPayload);
    if (claims === undefined) throw new SdkError('invalid_token', 'malformed', 'the token is malformed');
    // `iss` read before the signature is checked only chooses which issuer's keys to try.
    const keySet = typeof claims.iss === 'string' ? keySets.get(claims.iss) : undefined;
    if (keySet === undefined) {
      throw new SdkError(
        'invalid_token',
        'unknown_issuer',
        'the token was issued by an issuer this service does not trust',
      );
    }
    const at = now();
    try {
      const checks = checksOf.get(keySet)!;
      // A key already chosen for this very header goes to jose directly; jose still checks the header
      // (alg allow-list, crit) before using it. Otherwise jose asks the key set.
      const { payload } = await jwtVerify(
        token,
        keySet.knownKey(encodedHeader) ?? keySet.getKey,
        options.now === undefined ? checks : { ...checks, currentDate: new Date(at) },
      );
      // jose checks `iat` only against a maximum age; a token dated ahead of our clock (beyond the
      // skew) was minted by a broken or hostile issuer, and its lifetime cannot be reasoned about.
      if (typeof payload.iat === 'number' && payload.iat > at / 1000 + clockTolerance) {
        throw new SdkError('invalid_token', 'not_yet_valid', 'the token was issued in the future');
      }
      return assertCloudConnectorClaims(payload);
    } catch (error) {
      throw SdkError.from(error);
    }
  }

  return {
    issuers: [...keySets.keys()],
    audience,
    async verify(token, verifyOptions = {}) {
      if (typeof token !== 'string' || token.length === 0) {
        throw new SdkError('invalid_token', 'missing_token', 'no bearer token was presented');
      }
      if (token.length > MAX_TOKEN_BYTES) {
        throw new SdkError(
          'invalid_token',
          'token_too_large',
          `the token is longer than ${MAX_TOKEN_BYTES} bytes`,
        );
      }
      let claims: CloudConnectorClaims | undefined;
      if (cache === undefined) {
        // No cache, no digest of the token: nothing would ever look it up.
        claims = await verifySignedToken(token);
      } else {
        const key = VerifiedTokenCache.keyOf(token);
        claims = cache.get(key, Math.floor(now() / 1000));
        if (claims === undefined) {
          claims = await verifySignedToken(token);
          cache.set(key, claims);
        }
      }
      requireScopes(claims.scopes, verifyOptions.scopes ?? [], verifyOptions.scopeMatch);
      return claims;
    },
  };
}

function buildKeySets(options: VerifierOptions, now: () => number): Map<string, IssuerKeySet> {
  const policy = {
    maxAgeMs: (options.jwksMaxAgeSeconds ?? 600) * 1000,
    cooldownMs: (options.unknownKidCooldownSeconds ?? 30) * 1000,
    timeoutMs: (options.fetchTimeoutSeconds ?? 5) * 1000,
    fetch: options.fetch ?? ((url: string, init: RequestInit) => fetch(url, init)),
    now,
    onError: options.onKeyFetchError,
  };
  const keySets = new Map<string, IssuerKeySet>();
  for (const config of options.issuers) {
    const sources = [config.discoveryUrl, config.jwksUri, config.jwks].filter(
      (source) => source !== undefined,
    );
    if (!config.issuer || sources.length > 1 || keySets.has(config.issuer)) {
      throw new SdkError(
        'invalid_configuration',
        'configuration',
        `issuer "${config.issuer}" must be named once, with at most one of discoveryUrl, jwksUri, jwks`,
      );
    }
    keySets.set(config.issuer, new IssuerKeySet(config, policy));
  }
  if (keySets.size === 0)
    throw new SdkError('invalid_configuration', 'configuration', 'a verifier needs at least one issuer');
  return keySets;
}
