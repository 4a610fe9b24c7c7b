import { randomUUID } from 'node:crypto';
import { SignJWT, type JSONWebKeySet, type JWK } from 'jose';
import type { CloudConnectorClaims } from './claims.ts';
import { SdkError } from './errors.ts';
import type { IssuerConfig } from './issuer-key-set.ts';
import { loadSigningKey, type AuthorityAlgorithm, type SigningKey } from './signing-key.ts';

export type { AuthorityAlgorithm } from './signing-key.ts';

/**
 * Settings of {@link TokenAuthority.create}.
 *
 * @example
 * ```ts
 * const options: TokenAuthorityOptions = { issuer: 'gitlab-duo-workflow-service', privateKey: process.env.SIGNING_KEY_PEM };
 * ```
 */
export interface TokenAuthorityOptions {
  /** `iss` of every token; verifiers list the authority under this name. */
  issuer: string;
  /** Default `RS256`. */
  algorithm?: AuthorityAlgorithm;
  /** A PKCS#8 PEM or a private JWK; a fresh key is generated (and never leaves memory) when absent. */
  privateKey?: string | JWK;
  /** Longest lifetime `sign` accepts, and the default one; default 3600 s. */
  maxLifetimeSeconds?: number;
  /** Current time in milliseconds; tests freeze it. */
  now?: () => number;
}

/**
 * What to put in a token. Registered claims (`iss`, `sub`, `aud`, `iat`, `nbf`, `exp`, `jti`,
 * `scopes`) always come from the authority, never from `extraClaims`.
 *
 * @example
 * ```ts
 * const input: SignOptions = { subject: 'user-hash', audience: 'gitlab-ai-gateway', scopes: ['complete_code'] };
 * ```
 */
export interface SignOptions {
  subject: string;
  audience: string | string[];
  scopes: readonly string[];
  expiresInSeconds?: number;
  extraClaims?: Record<string, unknown>;
}

/**
 * A signed token with its expiry (epoch seconds) and the claims it carries.
 *
 * @example
 * ```ts
 * const { token, expiresAt } = await authority.sign({ subject: 'u1', audience: 'svc', scopes: [] });
 * ```
 */
export interface SignedToken {
  token: string;
  expiresAt: number;
  claims: CloudConnectorClaims;
}

/**
 * What signs a service's user tokens and names the keys that verify them: a {@link TokenAuthority}
 * (keys in this process), or a service's own implementation over keys it keeps elsewhere (a store
 * its replicas share). {@link issueUserToken} and a verifier's issuer list need nothing more.
 *
 * @example
 * ```ts
 * const signer: UserTokenSigner = await TokenAuthority.create({ issuer: 'gitlab-duo-workflow-service' });
 * const verifier = createVerifier({ issuers: [signer.asIssuer()], audience: signer.issuer });
 * ```
 */
export interface UserTokenSigner {
  /** `iss` of every token it signs. */
  readonly issuer: string;
  /** Longest lifetime `sign` accepts. */
  readonly maxLifetimeSeconds: number;
  /** Signs a token with registered claims set as {@link TokenAuthority.sign} does. */
  sign(input: SignOptions): Promise<SignedToken>;
  /** The signer as an issuer of a verifier: its published keys, read without a network fetch. */
  asIssuer(): IssuerConfig;
}

/** Slack after a retired key's last token expires, for verifiers whose clock runs behind. */
const RETIREMENT_SLACK_SECONDS = 60;
const NBF_BACKDATE_SECONDS = 5;

/**
 * Signs user-level JWTs with a service's own key and publishes the matching JWKS, so the service's
 * verifier (or any other) can list it as an issuer. `kid` is the RFC 7638 thumbprint. After
 * {@link TokenAuthority.rotate} the previous key stays in the JWKS until the last token it signed expires.
 *
 * @example
 * ```ts
 * import { TokenAuthority, createVerifier } from '@tessera/sdk';
 *
 * const authority = await TokenAuthority.create({ issuer: 'gitlab-ai-gateway' });
 * const { token } = await authority.sign({ subject: 'user-1', audience: 'gitlab-ai-gateway', scopes: ['complete_code'] });
 * const verifier = createVerifier({ issuers: [authority.asIssuer()], audience: 'gitlab-ai-gateway' });
 * await verifier.verify(token, { scopes: ['complete_code'] });
 * ```
 */
export class TokenAuthority implements UserTokenSigner {
  #current: SigningKey;
  #retired: SigningKey[] = [];
  readonly #now: () => number;

  private constructor(
    readonly issuer: string,
    readonly algorithm: AuthorityAlgorithm,
    readonly maxLifetimeSeconds: number,
    key: SigningKey,
    now: () => number,
  ) {
    this.#current = key;
    this.#now = now;
  }

  /** Creates an authority with the given key, or a freshly generated one. */
  static async create(options: TokenAuthorityOptions): Promise<TokenAuthority> {
    const algorithm = options.algorithm ?? 'RS256';
    const key = await loadSigningKey(algorithm, options.privateKey);
    return new TokenAuthority(
      options.issuer,
      algorithm,
      options.maxLifetimeSeconds ?? 3600,
      key,
      options.now ?? Date.now,
    );
  }

  /** `kid` of the key that signs new tokens. */
  get kid(): string {
    return this.#current.kid;
  }

  /** Signs a token: `iat` now, `nbf` 5 s earlier (clock skew), `exp`, a random `jti`. */
  async sign(input: SignOptions): Promise<SignedToken> {
    const lifetime = input.expiresInSeconds ?? this.maxLifetimeSeconds;
    if (!(lifetime > 0 && lifetime <= this.maxLifetimeSeconds)) {
      throw new SdkError(
        'invalid_configuration',
        'configuration',
        `token lifetime must be 1 to ${this.maxLifetimeSeconds} s`,
      );
    }
    const iat = Math.floor(this.#now() / 1000);
    const claims = {
      ...input.extraClaims,
      iss: this.issuer,
      sub: input.subject,
      aud: input.audience,
      iat,
      nbf: iat - NBF_BACKDATE_SECONDS,
      exp: iat + lifetime,
      jti: randomUUID(),
      scopes: [...input.scopes],
    } as CloudConnectorClaims;
    const key = this.#current;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: this.algorithm, kid: key.kid, typ: 'JWT' })
      .sign(key.privateKey);
    key.lastExpiry = Math.max(key.lastExpiry, claims.exp);
    return { token, expiresAt: claims.exp, claims };
  }

  /**
   * Replaces the signing key (with `privateKey`, or a generated one) and returns the new `kid`.
   * The previous key keeps validating: it stays in {@link TokenAuthority.jwks} until its tokens expire.
   */
  async rotate(privateKey?: string | JWK): Promise<string> {
    const next = await loadSigningKey(this.algorithm, privateKey);
    this.#retired.push(this.#current);
    this.#current = next;
    return next.kid;
  }

  /** The public keys that verify this authority's live tokens (current key first). */
  jwks(): JSONWebKeySet {
    const nowSeconds = this.#now() / 1000;
    this.#retired = this.#retired.filter((key) => key.lastExpiry + RETIREMENT_SLACK_SECONDS > nowSeconds);
    return { keys: [this.#current, ...this.#retired].map((key) => ({ ...key.publicJwk })) };
  }

  /** This authority as an issuer of a verifier in the same process: keys are read directly, never fetched. */
  asIssuer(): IssuerConfig {
    return { issuer: this.issuer, jwks: () => this.jwks() };
  }
}
