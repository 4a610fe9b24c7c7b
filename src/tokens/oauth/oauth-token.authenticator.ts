import { constantTimeEqual } from '../../crypto/secrets.ts';
import {
  compositeDecision,
  compositeUser,
  enforcesCompositeIdentity,
  userScopeOf,
} from '../../identity/composite-identity.ts';
import type { Principal } from '../../identity/principal.ts';
import { findOAuthTokenByDigest, type OAuthTokenWithGrant } from '../../store/oauth-grants.repository.ts';
import { findUserById } from '../../store/users.repository.ts';
import type { RequestMeta, TokenAuthenticator } from '../token-authenticator.ts';
import type { OAuthDeps } from './oauth-deps.ts';
import { storedScopes } from './oauth-scopes.ts';
import { hasTypePrefix, OAUTH_ACCESS_TOKEN_PREFIX } from './oauth-secrets.ts';

/**
 * Authenticates OAuth access tokens (`gloat-`, optionally behind the instance prefix) on the REST API
 * and, through the basic-credential resolvers, on git and the registry (username `oauth2`, the token
 * as password). Refuses with the same null, so the caller answers one 401, a token that is unknown,
 * expired, revoked, whose grant was revoked, whose owner is blocked — and a composite-identity service
 * account's token that does not name exactly one active person with `user:<id>`.
 */
export class OAuthTokenAuthenticator implements TokenAuthenticator {
  readonly prefix = OAUTH_ACCESS_TOKEN_PREFIX;

  constructor(private readonly deps: OAuthDeps) {}

  async authenticate(plaintext: string, _meta: RequestMeta): Promise<Principal | null> {
    if (!hasTypePrefix(plaintext, this.deps.policy.tokenPrefix, OAUTH_ACCESS_TOKEN_PREFIX)) return null;
    const digest = this.deps.digester.digest(plaintext);
    const found = await findOAuthTokenByDigest(this.deps.db, digest);
    if (!found || !constantTimeEqual(found.token.digest, digest)) return null;
    return oauthTokenPrincipal(this.deps, found);
  }
}

/**
 * Who a stored access token acts as, or null when it may not act now. The one decision shared by the
 * authenticator and introspection, so both say the same about every token.
 */
export async function oauthTokenPrincipal(
  deps: OAuthDeps,
  found: OAuthTokenWithGrant,
): Promise<Principal | null> {
  const { token, grant } = found;
  if (token.revoked_at !== null || grant.revoked_at !== null) return null;
  if (token.expires_at <= deps.clock.now().toISOString()) return null;
  const owner = await findUserById(deps.db, grant.user_id);
  if (!owner || owner.state !== 'active') return null;
  const scopes = storedScopes(token.scopes);
  const credential = { kind: 'oauth_access_token' as const, id: token.id, scopes };
  if (!enforcesCompositeIdentity(owner)) return { user: owner, credential };
  const reading = userScopeOf(scopes);
  const scopedUser = reading.kind === 'one' ? await findUserById(deps.db, reading.userId) : undefined;
  if (compositeDecision(owner, scopes, scopedUser) !== 'allowed' || !scopedUser) return null;
  return { user: compositeUser(owner, scopedUser), scopedUser, credential };
}
