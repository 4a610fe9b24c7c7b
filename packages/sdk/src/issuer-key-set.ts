import {
  createLocalJWKSet,
  errors,
  type CryptoKey,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWTHeaderParameters,
} from 'jose';
import { SdkError } from './errors.ts';

/**
 * Where one trusted issuer's keys come from. Give at most one of `discoveryUrl`, `jwksUri` or `jwks`;
 * with none, the keys are found through `<issuer>/.well-known/openid-configuration`.
 *
 * @example
 * ```ts
 * const issuers: IssuerConfig[] = [
 *   { issuer: 'https://customers.example.com' },                            // discovery → jwks_uri
 *   { issuer: 'https://gitlab.example.com', jwksUri: 'https://gitlab.example.com/oauth/discovery/keys' },
 *   authority.asIssuer(),                                                    // in-process keys
 * ];
 * ```
 */
export interface IssuerConfig {
  /** The exact `iss` value of the issuer's tokens. */
  issuer: string;
  /** URL of the issuer's OpenID/OAuth discovery document, whose `jwks_uri` names the key set. */
  discoveryUrl?: string;
  /** URL of the issuer's JWKS, when there is no discovery document to read it from. */
  jwksUri?: string;
  /** In-process key set (a {@link TokenAuthority}'s): no network, refetched freely on an unknown `kid`. */
  jwks?: () => JSONWebKeySet | Promise<JSONWebKeySet>;
}

/** The subset of `fetch` the SDK uses; inject one for proxies or tests. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface KeySetPolicy {
  maxAgeMs: number;
  cooldownMs: number;
  timeoutMs: number;
  fetch: FetchLike;
  now: () => number;
  onError: ((error: Error, issuer: string) => void) | undefined;
}

/** Distinct token headers whose key is remembered; an issuer's tokens share a handful. */
const MAX_RESOLVED_HEADERS = 64;

/** A key-set document bigger than this is not a key set. */
const MAX_DOCUMENT_BYTES = 512 * 1024;

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

/**
 * One issuer's verification keys: loaded on first use, revalidated in the background once older than
 * the max age, refetched on an unknown `kid` at most once per cooldown (a flood of made-up `kid`s costs
 * the issuer one request), and kept when a refetch fails so an unreachable issuer does not stop
 * verification. The cooldown limits only those on-demand fetches: the scheduled revalidation runs
 * whenever the set is stale, and backs off (for one cooldown) only after it failed.
 */
export class IssuerKeySet {
  #keys: LocalKeySet | undefined;
  #fingerprint = '';
  #loadedAt = Number.NEGATIVE_INFINITY;
  /** The last fetch asked for by a token whose `kid` was not in the set (or by the first use). */
  #onDemandAt = Number.NEGATIVE_INFINITY;
  /** The last scheduled revalidation that failed: the only thing that holds the next one back. */
  #revalidationFailedAt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<boolean> | undefined;
  #jwksUri: string | undefined;
  /** Keys jose selected from `#keys`, by the header text they were selected for; emptied whenever `#keys` changes. */
  #resolved = new Map<string, CryptoKey>();

  constructor(
    readonly config: IssuerConfig,
    private readonly policy: KeySetPolicy,
  ) {
    this.#jwksUri = config.jwksUri;
  }

  /**
   * A jose key resolver bound to this issuer only. Once a token header has been resolved against the
   * current key set, it answers synchronously: jose's key-set lookup (filtering every JWK, an async
   * import cache) is then off the hot path of every verification.
   */
  readonly getKey = (
    header: JWTHeaderParameters,
    token: FlattenedJWSInput,
  ): CryptoKey | Promise<CryptoKey> => {
    // Selecting by kid is what makes "unknown key → refetch once" well defined; Cloud Connector tokens always carry one.
    if (typeof header.kid !== 'string' || header.kid === '') {
      throw new SdkError('invalid_token', 'missing_kid', 'the token header has no "kid"');
    }
    return (token.protected && this.knownKey(token.protected)) || this.#resolve(header, token);
  };

  /**
   * The key jose already chose from the current key set for this very header (its base64url text),
   * if any — synchronously, without decoding it. Every token of one issuer's key carries the same
   * header, so the header text names jose's choice; only headers jose accepted are remembered.
   */
  knownKey(encodedHeader: string): CryptoKey | undefined {
    if (this.#keys === undefined) return undefined;
    if (this.policy.now() - this.#loadedAt > this.policy.maxAgeMs) {
      void this.#revalidate(); // stale-while-revalidate: this request uses the keys we have
    }
    return this.#resolved.get(encodedHeader);
  }

  async #resolve(header: JWTHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> {
    if (this.#keys === undefined) {
      await this.#refreshOnDemand();
      if (this.#keys === undefined) {
        throw new SdkError(
          'invalid_token',
          'keys_unavailable',
          "the token issuer's keys cannot be fetched right now",
        );
      }
    }
    try {
      return await this.#lookUp(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // The issuer may have rotated: look again, unless we looked moments ago.
      if (!(await this.#refreshOnDemand())) throw SdkError.from(error);
      return this.#lookUp(header, token);
    }
  }

  /** jose's selection among the current keys, remembered until the key set changes. */
  async #lookUp(header: JWTHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> {
    const keys = this.#keys!;
    const key = await keys(header, token);
    if (keys === this.#keys && token.protected) {
      // Headers can differ in members jose ignores; a flood of such variants must not grow this.
      if (this.#resolved.size >= MAX_RESOLVED_HEADERS) this.#resolved.clear();
      this.#resolved.set(token.protected, key);
    }
    return key;
  }

  /** A fetch a token asked for: at most once per cooldown, except for in-process key sets. */
  #refreshOnDemand(): Promise<boolean> {
    if (this.#inflight) return this.#inflight;
    const now = this.policy.now();
    if (this.config.jwks === undefined && now - this.#onDemandAt < this.policy.cooldownMs) {
      return Promise.resolve(false);
    }
    this.#onDemandAt = now;
    return this.#start();
  }

  /** The scheduled revalidation of a stale set: not held back by on-demand fetches, only by its own failure. */
  #revalidate(): Promise<boolean> {
    if (this.#inflight) return this.#inflight;
    const now = this.policy.now();
    if (now - this.#revalidationFailedAt < this.policy.cooldownMs) return Promise.resolve(false);
    return this.#start().then((refreshed) => {
      if (!refreshed) this.#revalidationFailedAt = now;
      return refreshed;
    });
  }

  #start(): Promise<boolean> {
    this.#inflight = this.#refresh().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #refresh(): Promise<boolean> {
    try {
      const jwks = this.config.jwks ? await this.config.jwks() : await this.#fetchJwks();
      const fingerprint = JSON.stringify(jwks);
      // An unchanged set keeps its jose instance, and with it the keys already imported.
      if (fingerprint !== this.#fingerprint || this.#keys === undefined) {
        this.#keys = createLocalJWKSet(jwks);
        this.#resolved = new Map();
        this.#fingerprint = fingerprint;
      }
      this.#loadedAt = this.policy.now();
      return true;
    } catch (error) {
      this.policy.onError?.(error instanceof Error ? error : new Error(String(error)), this.config.issuer);
      return false;
    }
  }

  async #fetchJwks(): Promise<JSONWebKeySet> {
    this.#jwksUri ??= await this.#discoverJwksUri();
    return (await this.#fetchJson(this.#jwksUri)) as JSONWebKeySet;
  }

  async #discoverJwksUri(): Promise<string> {
    const url =
      this.config.discoveryUrl ??
      `${this.config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const document = (await this.#fetchJson(url)) as { issuer?: unknown; jwks_uri?: unknown };
    // OpenID Connect Discovery §4.3: a document that names another issuer must not be used.
    if (document.issuer !== this.config.issuer) {
      throw new Error(`discovery document at ${url} names issuer ${String(document.issuer)}`);
    }
    if (typeof document.jwks_uri !== 'string' || !URL.canParse(document.jwks_uri)) {
      throw new Error(`discovery document at ${url} has no valid jwks_uri`);
    }
    return document.jwks_uri;
  }

  async #fetchJson(url: string): Promise<unknown> {
    const response = await this.policy.fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(this.policy.timeoutMs),
    });
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
    const text = await response.text();
    if (text.length > MAX_DOCUMENT_BYTES)
      throw new Error(`GET ${url} answered a document over ${MAX_DOCUMENT_BYTES} bytes`);
    return JSON.parse(text);
  }
}
