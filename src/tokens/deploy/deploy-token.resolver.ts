import { constantTimeEqual } from '../../crypto/secrets.ts';
import type { Executor } from '../../store/database.ts';
import { findDeployTokenByDigest, touchDeployTokenUsage } from '../../store/deploy-tokens.repository.ts';
import { namespaceWithAncestors } from '../../store/namespaces.repository.ts';
import { findProjectById } from '../../store/projects.repository.ts';
import type { DeployToken } from '../../store/schema.ts';
import type { BasicCredentialResolver, BasicIdentity } from '../basic-credentials.ts';
import type { DeployTokenDeps } from './deploy-token-deps.ts';
import { looksLikeDeployToken } from './deploy-token-secret.ts';
import { deployTokenScopes, deployTokenState } from './deploy-token-state.ts';

/** `last_used_at` is written at most this often per token. */
const LAST_USED_THROTTLE_MS = 10 * 60 * 1000;

/**
 * Deploy tokens over HTTP basic (git, the registry): the password is the secret (`gldt-…`, or behind
 * the instance prefix) and the username must be the token's. The current secret works while the token
 * is active; the secret a rotation replaced works until its grace deadline. Every refusal is the same
 * null, so the caller answers one 401 for all of them.
 */
export class DeployTokenResolver implements BasicCredentialResolver {
  constructor(private readonly deps: DeployTokenDeps) {}

  claims(_username: string, password: string): boolean {
    return looksLikeDeployToken(password, this.deps.tokenPrefix);
  }

  async resolve(username: string, password: string): Promise<BasicIdentity | null> {
    const digest = this.deps.digester.digest(password);
    const token = await this.#lookup(digest);
    if (!token || !this.#secretValid(token, digest)) return null;
    if (deployTokenState(token, this.deps.clock) !== 'active') return null;
    if (!constantTimeEqual(token.username, username)) return null;
    await this.#recordUse(digest, token);
    return {
      type: 'deploy_token',
      tokenId: token.id,
      username: token.username,
      scopes: deployTokenScopes(token),
      reaches: (projectId) => tokenReaches(this.deps.db, token, projectId),
    };
  }

  async #lookup(digest: string): Promise<DeployToken | undefined> {
    const cached = this.deps.cache.get(digest);
    if (cached) return cached;
    const generation = this.deps.cache.generation;
    const token = await findDeployTokenByDigest(this.deps.db, digest);
    // Only live tokens are worth caching; a refused one must not linger as a hit.
    if (token && !token.revoked) this.deps.cache.set(digest, token, generation);
    return token;
  }

  #secretValid(token: DeployToken, digest: string): boolean {
    if (constantTimeEqual(token.digest, digest)) return true;
    if (token.previous_digest === null || token.previous_valid_until === null) return false;
    return (
      constantTimeEqual(token.previous_digest, digest) &&
      token.previous_valid_until > this.deps.clock.now().toISOString()
    );
  }

  async #recordUse(digest: string, token: DeployToken): Promise<void> {
    const now = this.deps.clock.now();
    const notAfter = new Date(now.getTime() - LAST_USED_THROTTLE_MS).toISOString();
    if (token.last_used_at !== null && token.last_used_at > notAfter) return;
    await touchDeployTokenUsage(this.deps.db, token.id, { at: now.toISOString(), notAfter });
    // Whether this call or another replica wrote, a window has just started: stop trying until it ends.
    this.deps.cache.refresh(digest, { ...token, last_used_at: now.toISOString() });
  }
}

/** A project token reaches its project; a group token every project of its group and subgroups. */
export async function tokenReaches(db: Executor, token: DeployToken, projectId: number): Promise<boolean> {
  if (token.project_id !== null) return token.project_id === projectId;
  const project = await findProjectById(db, projectId);
  if (!project || token.group_id === null) return false;
  const chain = await namespaceWithAncestors(db, project.namespace_id);
  return chain.some((namespace) => namespace.kind === 'group' && namespace.id === token.group_id);
}
