import { constantTimeEqual } from '../../crypto/secrets.ts';
import type { Principal } from '../../identity/principal.ts';
import { findAccessTokenByDigest, touchAccessTokenUsage } from '../../store/access-tokens.repository.ts';
import type { AccessToken } from '../../store/schema.ts';
import { findUserById } from '../../store/users.repository.ts';
import type { RequestMeta, TokenAuthenticator } from '../token-authenticator.ts';
import type { CachedAccessToken } from './access-token-cache.ts';
import type { AccessTokenDeps } from './access-token-deps.ts';
import { ACCESS_TOKEN_PREFIX, looksLikeAccessToken } from './access-token-secret.ts';
import { accessTokenState, credentialKindOf, scopesOf } from './access-token-state.ts';
import { granularScopesOf } from './granular-scopes.ts';

/** `last_used_at` is written at most this often per token, as on the platform: a hot token is not a hot row. */
export const LAST_USED_THROTTLE_MS = 10 * 60 * 1000;
/** How many distinct recent addresses a token remembers. */
export const LAST_USED_IPS = 5;

/**
 * Authenticates personal, project and group access tokens (`glpat-`, optionally behind the instance
 * prefix): digest, look up, compare in constant time, then refuse revoked, expired or blocked-owner
 * tokens (and impersonation tokens while impersonation is disabled) with the same null, so the caller answers one 401 for all.
 */
export class AccessTokenAuthenticator implements TokenAuthenticator {
  readonly prefix = ACCESS_TOKEN_PREFIX;

  constructor(private readonly deps: AccessTokenDeps) {}

  async authenticate(plaintext: string, meta: RequestMeta): Promise<Principal | null> {
    if (!looksLikeAccessToken(plaintext, this.deps.policy.tokenPrefix)) return null;
    const digest = this.deps.digester.digest(plaintext);
    const found = await this.#lookup(digest);
    if (!found || !constantTimeEqual(found.token.digest, digest)) return null;
    if (accessTokenState(found.token, this.deps.clock) !== 'active' || found.owner.state !== 'active')
      return null;
    // With impersonation disabled, the tokens administrators made in users' names stop working.
    if (found.token.impersonation === 1 && !this.deps.policy.impersonationEnabled) return null;
    await this.#recordUse(digest, found.token, meta.ip);
    const principal: Principal = {
      user: found.owner,
      credential: { kind: credentialKindOf(found.token.kind), id: found.token.id, scopes: found.scopes },
    };
    // Fresh per request: whether the granular check admitted it is this request's fact alone.
    if (found.granular) principal.credential.granular = { scopes: found.granular, admitted: false };
    return principal;
  }

  async #lookup(digest: string): Promise<CachedAccessToken | undefined> {
    const cached = this.deps.cache.get(digest);
    if (cached) return cached;
    const generation = this.deps.cache.generation;
    const token = await findAccessTokenByDigest(this.deps.db, digest);
    if (!token) return undefined;
    const owner = await findUserById(this.deps.db, token.user_id);
    if (!owner) return undefined;
    const entry = { token, owner, scopes: scopesOf(token), granular: granularScopesOf(token) };
    // Only live tokens are worth caching; a refused one must not linger as a hit.
    if (!token.revoked) this.deps.cache.set(digest, entry, generation);
    return entry;
  }

  async #recordUse(digest: string, token: AccessToken, ip: string | null): Promise<void> {
    const now = this.deps.clock.now();
    // Compared as instants, so the common case (used within the window) formats no date.
    if (token.last_used_at !== null && now.getTime() - Date.parse(token.last_used_at) < LAST_USED_THROTTLE_MS)
      return;
    const notAfter = new Date(now.getTime() - LAST_USED_THROTTLE_MS).toISOString();
    const lastUsedAt = now.toISOString();
    const lastUsedIps = recentIps(token.last_used_ips, ip);
    await touchAccessTokenUsage(this.deps.db, token.id, { lastUsedAt, lastUsedIps, notAfter });
    // Whether this call or another replica wrote, a window has just started: stop trying until it ends.
    this.deps.cache.refresh(digest, {
      ...token,
      last_used_at: lastUsedAt,
      last_used_ips: JSON.stringify(lastUsedIps),
    });
  }
}

/** The newest address first, each once, at most {@link LAST_USED_IPS}. */
function recentIps(stored: string, ip: string | null): string[] {
  const parsed: unknown = JSON.parse(stored);
  const previous = Array.isArray(parsed) ? parsed.filter((v): v is string => typeof v === 'string') : [];
  const ips = ip ? [ip, ...previous.filter((p) => p !== ip)] : previous;
  return ips.slice(0, LAST_USED_IPS);
}
