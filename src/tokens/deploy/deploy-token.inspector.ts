import type { Actor } from '../../audit/audit-log.ts';
import { findDeployTokenByDigest } from '../../store/deploy-tokens.repository.ts';
import type { DeployToken } from '../../store/schema.ts';
import type { TokenInspection, TokenInspector } from '../access/token-inspector.ts';
import type { DeployTokenDeps } from './deploy-token-deps.ts';
import { DEPLOY_TOKEN_PREFIX, looksLikeDeployToken } from './deploy-token-secret.ts';
import { deployTokenOwnerOf, deployTokenScopes, deployTokenState } from './deploy-token-state.ts';
import { revokeDeployTokenAudited } from './deploy-token.service.ts';

/**
 * Deploy tokens for the admin token API and `tessera tokens inspect`: found by their current secret or
 * by a rotated-out one (a leaked old secret must still lead to its token, to revoke it).
 */
export class DeployTokenInspector implements TokenInspector {
  readonly prefix = DEPLOY_TOKEN_PREFIX;

  constructor(private readonly deps: DeployTokenDeps) {}

  async inspect(plaintext: string): Promise<TokenInspection | null> {
    const token = await this.#find(plaintext);
    return token ? this.#describe(token) : null;
  }

  async revoke(plaintext: string, actor: Actor): Promise<TokenInspection | null> {
    const token = await this.#find(plaintext);
    if (!token) return null;
    await revokeDeployTokenAudited(this.deps, actor, token, { via: 'admin_token' });
    return this.inspect(plaintext);
  }

  async #find(plaintext: string): Promise<DeployToken | undefined> {
    if (!looksLikeDeployToken(plaintext, this.deps.tokenPrefix)) return undefined;
    return findDeployTokenByDigest(this.deps.db, this.deps.digester.digest(plaintext));
  }

  #describe(token: DeployToken): TokenInspection {
    const state = deployTokenState(token, this.deps.clock);
    const owner = deployTokenOwnerOf(token);
    return {
      token_type: 'deploy_token',
      id: token.id,
      name: token.name,
      state,
      active: state === 'active',
      revoked: token.revoked === 1,
      scopes: deployTokenScopes(token),
      created_at: token.created_at,
      expires_at: token.expires_at,
      last_used_at: token.last_used_at,
      user_id: null,
      owner: null,
      resource: { type: owner.kind, id: owner.id },
      access_level: null,
    };
  }
}
