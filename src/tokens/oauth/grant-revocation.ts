import { recordAudit, type Actor } from '../../audit/audit-log.ts';
import { inTransaction } from '../../store/in-transaction.ts';
import {
  findOAuthGrantById,
  findOAuthGrantsByWorkflow,
  revokeOAuthGrant,
} from '../../store/oauth-grants.repository.ts';
import type { OAuthGrant } from '../../store/oauth.tables.ts';
import { isoNow } from '../../util/clock.ts';
import type { OAuthDeps } from './oauth-deps.ts';

/** Why a grant ended, as the audit log says it. */
export type GrantRevocationReason =
  'revoked' | 'refresh_token_reuse' | 'authorization_code_reuse' | 'workflow_ended' | (string & {});

/**
 * Revokes a grant: every access and refresh token issued under it stops working at once. Audited
 * (`oauth_grant.revoked` with the reason) when this call is the one that revoked it.
 *
 * @example
 * await revokeGrant(deps, actor, grant, 'refresh_token_reuse');
 */
export async function revokeGrant(
  deps: OAuthDeps,
  actor: Actor,
  grant: OAuthGrant,
  reason: GrantRevocationReason,
): Promise<boolean> {
  return inTransaction(deps.db, async (trx) => {
    const revoked = await revokeOAuthGrant(trx, grant.id, isoNow(deps.clock), reason);
    if (revoked) {
      await recordAudit(trx, deps.clock, actor, {
        action: 'oauth_grant.revoked',
        entity: { type: 'User', id: grant.user_id },
        target: { type: 'OAuthGrant', id: grant.id },
        details: {
          grant_id: grant.id,
          application_id: grant.application_id,
          user_id: grant.user_id,
          reason,
          ...(grant.workflow_id ? { workflow_id: grant.workflow_id } : {}),
        },
      });
    }
    return revoked;
  });
}

/** Revokes the grant with this id (for callers that kept only the id); false when unknown or already revoked. */
export async function revokeGrantById(
  deps: OAuthDeps,
  actor: Actor,
  grantId: number,
  reason: GrantRevocationReason = 'revoked',
): Promise<boolean> {
  const grant = await findOAuthGrantById(deps.db, grantId);
  return grant ? revokeGrant(deps, actor, grant, reason) : false;
}

/**
 * Revokes every grant tagged with the workflow (its composite token among them), whether the workflow
 * finished, failed, was canceled or timed out. Returns how many grants this call revoked.
 */
export async function revokeTokensOfWorkflow(
  deps: OAuthDeps,
  actor: Actor,
  workflowId: string,
  reason: GrantRevocationReason = 'workflow_ended',
): Promise<number> {
  let count = 0;
  for (const grant of await findOAuthGrantsByWorkflow(deps.db, workflowId)) {
    if (await revokeGrant(deps, actor, grant, reason)) count++;
  }
  return count;
}
