import type { Actor } from '../../audit/audit-log.ts';
import { findOAuthApplicationById } from '../../store/oauth-applications.repository.ts';
import { findUserById } from '../../store/users.repository.ts';
import type { TokenInspection, TokenInspector } from '../access/token-inspector.ts';
import { revokeGrant } from './grant-revocation.ts';
import type { OAuthDeps } from './oauth-deps.ts';
import { storedScopes } from './oauth-scopes.ts';
import type { OAUTH_ACCESS_TOKEN_PREFIX, OAUTH_REFRESH_TOKEN_PREFIX } from './oauth-secrets.ts';
import {
  findPresentedOAuthToken,
  revokeAccessTokenPair,
  type PresentedOAuthToken,
} from './token-revocation.ts';

/**
 * OAuth access (`gloat-`) and refresh (`glort-`) tokens for the admin token API and the token
 * inspector: what they are, and revocation (an access token with its pair, a refresh token with its
 * whole grant).
 */
export class OAuthTokenInspector implements TokenInspector {
  constructor(
    private readonly deps: OAuthDeps,
    readonly prefix: typeof OAUTH_ACCESS_TOKEN_PREFIX | typeof OAUTH_REFRESH_TOKEN_PREFIX,
  ) {}

  async inspect(plaintext: string): Promise<TokenInspection | null> {
    const found = await findPresentedOAuthToken(this.deps, plaintext);
    return found ? this.#describe(found) : null;
  }

  async revoke(plaintext: string, actor: Actor): Promise<TokenInspection | null> {
    const found = await findPresentedOAuthToken(this.deps, plaintext);
    if (!found) return null;
    if (found.type === 'refresh_token') await revokeGrant(this.deps, actor, found.grant, 'revoked');
    else await revokeAccessTokenPair(this.deps, actor, found);
    return this.inspect(plaintext);
  }

  async #describe(found: PresentedOAuthToken): Promise<TokenInspection> {
    const { token, grant, type } = found;
    const [owner, application] = await Promise.all([
      findUserById(this.deps.db, grant.user_id),
      findOAuthApplicationById(this.deps.db, grant.application_id),
    ]);
    const revoked = token.revoked_at !== null || grant.revoked_at !== null;
    const expired = type === 'access_token' && token.expires_at <= this.deps.clock.now().toISOString();
    const state = revoked ? 'revoked' : expired ? 'expired' : 'active';
    return {
      token_type: type === 'access_token' ? 'oauth_access_token' : 'oauth_refresh_token',
      id: token.id,
      name: application?.name ?? '',
      state,
      active: state === 'active',
      revoked,
      scopes: storedScopes(token.scopes),
      created_at: token.created_at,
      expires_at: type === 'access_token' ? token.expires_at : null,
      last_used_at: null,
      user_id: grant.user_id,
      owner: owner ? { id: owner.id, username: owner.username, bot: owner.bot_kind !== null } : null,
      resource: null,
      access_level: null,
    };
  }
}
