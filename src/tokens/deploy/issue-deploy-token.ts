import { recordAudit, type Actor } from '../../audit/audit-log.ts';
import type { Executor } from '../../store/database.ts';
import {
  insertDeployToken,
  updateDeployToken,
  type DeployTokenOwner,
} from '../../store/deploy-tokens.repository.ts';
import type { DeployToken } from '../../store/schema.ts';
import { isoNow } from '../../util/clock.ts';
import type { DeployTokenDeps } from './deploy-token-deps.ts';
import { mintDeployTokenSecret } from './deploy-token-secret.ts';
import {
  GITLAB_DEPLOY_TOKEN_NAME,
  deployTokenOwnerOf,
  deployTokenScopes,
  type DeployTokenScope,
} from './deploy-token-state.ts';

/** A token just stored, with the one copy of its secret the API will ever show. */
export interface IssuedDeployToken {
  token: DeployToken;
  plaintext: string;
}

export interface IssueDeployTokenInput {
  owner: DeployTokenOwner;
  name: string;
  username?: string;
  scopes: readonly DeployTokenScope[];
  expiresAt: string | null;
  autoCreated: boolean;
  creatorId: number | null;
}

/** The encryption context binds a sealed secret to its token row, so it cannot be moved to another. */
export const sealContextOf = (tokenId: number): string => `deploy_token:${tokenId}`;

/**
 * The sealed copy a token keeps of `secret`: only `gitlab-deploy-token`, which every later CI job of
 * the project receives, is kept readable (under the key-encryption key); any other token keeps none.
 */
export function sealedSecretFor(
  deps: DeployTokenDeps,
  token: Pick<DeployToken, 'id' | 'name'>,
  secret: string,
): string | null {
  return token.name === GITLAB_DEPLOY_TOKEN_NAME ? deps.box.seal(secret, sealContextOf(token.id)) : null;
}

/**
 * Stores a token under the digest of a fresh secret. The default username and the sealed copy both
 * need the row's id, so they are set right after the insert. Call inside the transaction that audits it.
 */
export async function issueDeployToken(
  trx: Executor,
  deps: DeployTokenDeps,
  input: IssueDeployTokenInput,
): Promise<IssuedDeployToken> {
  const plaintext = mintDeployTokenSecret(deps.tokenPrefix);
  const digest = deps.digester.digest(plaintext);
  const inserted = await insertDeployToken(trx, {
    project_id: input.owner.kind === 'project' ? input.owner.id : null,
    group_id: input.owner.kind === 'group' ? input.owner.id : null,
    name: input.name,
    // Unique per row until the id is known; replaced below in the same transaction.
    username: input.username ?? `gitlab+deploy-token-pending-${digest.slice(0, 16)}`,
    digest,
    previous_digest: null,
    previous_valid_until: null,
    secret_sealed: null,
    scopes: JSON.stringify(input.scopes),
    expires_at: input.expiresAt,
    revoked: 0,
    revoked_at: null,
    auto_created: input.autoCreated ? 1 : 0,
    creator_id: input.creatorId,
    created_at: isoNow(deps.clock),
    rotated_at: null,
    last_used_at: null,
  });
  const token = await updateDeployToken(trx, inserted.id, {
    username: input.username ?? `gitlab+deploy-token-${inserted.id}`,
    secret_sealed: sealedSecretFor(deps, inserted, plaintext),
  });
  return { token: token!, plaintext };
}

/**
 * Writes `deploy_token.<verb>`: the entity is the project or group, the target the token. Never the
 * secret, nor anything derived from it.
 */
export async function auditDeployToken(
  trx: Executor,
  deps: DeployTokenDeps,
  actor: Actor,
  verb: 'created' | 'revoked' | 'rotated' | 'deleted',
  token: DeployToken,
  details: Record<string, unknown> = {},
): Promise<void> {
  const owner = deployTokenOwnerOf(token);
  await recordAudit(trx, deps.clock, actor, {
    action: `deploy_token.${verb}`,
    entity: { type: owner.kind === 'project' ? 'Project' : 'Group', id: owner.id },
    target: { type: 'DeployToken', id: token.id, details: token.name },
    details: {
      token_id: token.id,
      token_name: token.name,
      username: token.username,
      scopes: deployTokenScopes(token),
      expires_at: token.expires_at,
      auto_created: token.auto_created === 1,
      ...details,
    },
  });
}

/** Counts an issued token once its transaction has committed. */
export function countIssuedDeployToken(deps: DeployTokenDeps): void {
  deps.metrics.tokensIssued.inc({ type: 'deploy_token' });
}
