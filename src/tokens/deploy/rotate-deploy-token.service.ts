import type { Actor } from '../../audit/audit-log.ts';
import { TesseraError } from '../../errors/tessera-error.ts';
import { replaceDeployTokenSecret } from '../../store/deploy-tokens.repository.ts';
import { inTransaction } from '../../store/in-transaction.ts';
import { findProjectDeploySettings } from '../../store/project-deploy-settings.repository.ts';
import type { DeployToken, User } from '../../store/schema.ts';
import { addSeconds } from '../../util/clock.ts';
import { DEFAULT_GRACE_SECONDS, type DeployTokenDeps } from './deploy-token-deps.ts';
import { publishEviction } from '../cache-evictions.ts';
import { mintDeployTokenSecret } from './deploy-token-secret.ts';
import { deployTokenState } from './deploy-token-state.ts';
import { findResourceDeployToken, type DeployTokenResource } from './deploy-token.service.ts';
import { auditDeployToken, countIssuedDeployToken, sealedSecretFor } from './issue-deploy-token.ts';

/** A rotation's result: the token with its new secret, and until when the old secret still works. */
export interface RotatedDeployToken {
  token: DeployToken;
  plaintext: string;
  /** null when the old secret stopped working at once (a grace period of 0). */
  previousValidUntil: string | null;
}

/**
 * Gives a token a new secret under the same id and username. The secret it replaces keeps working for
 * the project's grace period (default 24 h; 0 ends it at once), so clusters that pull with it can be
 * updated without downtime. A token holds at most two valid secrets: a secret already in its grace
 * period stops working when the token is rotated again.
 *
 * @example
 * const { plaintext, previousValidUntil } = await rotateDeployToken(deps, actor, maintainer, { kind: 'project', project }, 7);
 */
export async function rotateDeployToken(
  deps: DeployTokenDeps,
  actor: Actor,
  requester: User,
  resource: DeployTokenResource,
  tokenId: number,
): Promise<RotatedDeployToken> {
  const token = await findResourceDeployToken(deps, requester, resource, tokenId, 'write');
  if (deployTokenState(token, deps.clock) !== 'active') {
    throw new TesseraError('bad_request', 'token is not active: only an active token can be rotated', {
      field: 'token',
    });
  }
  const grace = await graceSeconds(deps, token);
  const plaintext = mintDeployTokenSecret(deps.tokenPrefix);
  const now = deps.clock.now();
  const previousValidUntil = grace > 0 ? addSeconds(now, grace).toISOString() : null;
  const rotated = await inTransaction(deps.db, async (trx) => {
    const updated = await replaceDeployTokenSecret(trx, token.id, token.digest, {
      digest: deps.digester.digest(plaintext),
      previous_digest: previousValidUntil === null ? null : token.digest,
      previous_valid_until: previousValidUntil,
      secret_sealed: sealedSecretFor(deps, token, plaintext),
      rotated_at: now.toISOString(),
    });
    if (!updated) throw new TesseraError('conflict', 'token was changed by another request; try again');
    await auditDeployToken(trx, deps, actor, 'rotated', updated, {
      grace_seconds: grace,
      previous_valid_until: previousValidUntil,
    });
    return updated;
  });
  deps.cache.forgetToken(token.id);
  await publishEviction(deps.db, { deployTokenIds: [token.id] });
  countIssuedDeployToken(deps);
  return { token: rotated, plaintext, previousValidUntil };
}

/** The project's grace period, or the default for a project that set none and for group tokens. */
async function graceSeconds(deps: DeployTokenDeps, token: DeployToken): Promise<number> {
  if (token.project_id === null) return DEFAULT_GRACE_SECONDS;
  const settings = await findProjectDeploySettings(deps.db, token.project_id);
  return settings?.deploy_token_grace_seconds ?? DEFAULT_GRACE_SECONDS;
}
