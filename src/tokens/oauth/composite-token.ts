import { SYSTEM_ACTOR, type Actor } from '../../audit/audit-log.ts';
import { badRequest, notFound } from '../../errors/tessera-error.ts';
import { enforcesCompositeIdentity, userScopeOf } from '../../identity/composite-identity.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { inTransaction } from '../../store/in-transaction.ts';
import {
  findOAuthApplicationById,
  findOAuthApplicationByUid,
} from '../../store/oauth-applications.repository.ts';
import { insertOAuthGrant } from '../../store/oauth-grants.repository.ts';
import type { User } from '../../store/schema.ts';
import { isoNow } from '../../util/clock.ts';
import { revokeGrantById, revokeTokensOfWorkflow } from './grant-revocation.ts';
import { oauthDeps } from './oauth-deps.ts';
import { grantableScopes } from './oauth-scopes.ts';
import { countIssuedOAuthToken, issueTokenPair } from './token-issuer.ts';

export interface CompositeTokenInput {
  /** The token's owner: a service account with `composite_identity_enforced`. */
  serviceAccount: User;
  /** The person it acts for; the scopes must name them as `user:<id>`. */
  user: User;
  /** e.g. `['ai_workflows', 'user:42']`. */
  scopes: readonly string[];
  expiresInSeconds: number;
  /** The application (numeric id or `client_id`) that issues it; it must be allowed the `user:*` scope. */
  applicationId: number | string;
  /** Tags the grant so that {@link revokeWorkflowTokens} ends it with the workflow. */
  workflowId?: string;
  /** Who asked, for the audit log; the system by default. */
  actor?: Actor;
  /** How it was obtained, for the audit log: `composite` (the instance's own), `token_exchange`. */
  via?: string;
}

/** A composite token just issued: the one copy of its secret, and what revokes it. */
export interface IssuedCompositeToken {
  accessToken: string;
  tokenId: number;
  grantId: number;
  expiresAt: string;
  scopes: string[];
}

/** Longest life a composite token may be given. */
const MAX_COMPOSITE_LIFETIME_SECONDS = 24 * 3600;

/**
 * Issues a composite-identity OAuth access token (no refresh token): owned by the service account,
 * acting for `user`, so that every permission check on it must pass for both. For the instance's own
 * use (starting a workflow), before anything runs; audited like every token.
 *
 * @example
 * const { accessToken, grantId } = await issueCompositeToken(context, {
 *   serviceAccount, user, scopes: ['ai_workflows', `user:${user.id}`], expiresInSeconds: 3600, applicationId, workflowId,
 * });
 */
export async function issueCompositeToken(
  context: Pick<
    InstanceContext,
    'db' | 'clock' | 'secrets' | 'metrics' | 'keys' | 'settings' | 'failureLimiter'
  >,
  input: CompositeTokenInput,
): Promise<IssuedCompositeToken> {
  const deps = oauthDeps(context);
  if (!enforcesCompositeIdentity(input.serviceAccount) || input.serviceAccount.state !== 'active') {
    throw badRequest('service_account', 'must be an active service account with composite identity enforced');
  }
  if (input.user.bot_kind !== null || input.user.state !== 'active') {
    throw badRequest('user', 'must be an active person');
  }
  const reading = userScopeOf(input.scopes);
  if (reading.kind !== 'one' || reading.userId !== input.user.id) {
    throw badRequest('scopes', `must carry exactly one user:<id> scope, user:${input.user.id}`);
  }
  const { expiresInSeconds } = input;
  if (
    !Number.isInteger(expiresInSeconds) ||
    expiresInSeconds <= 0 ||
    expiresInSeconds > MAX_COMPOSITE_LIFETIME_SECONDS
  ) {
    throw badRequest('expires_in', `must be 1 to ${MAX_COMPOSITE_LIFETIME_SECONDS} seconds`);
  }
  const application =
    typeof input.applicationId === 'number'
      ? await findOAuthApplicationById(deps.db, input.applicationId)
      : await findOAuthApplicationByUid(deps.db, input.applicationId);
  if (!application) throw notFound('Application');
  // invalid_scope unless the application may issue `user:*` and has every other scope registered.
  const scopes = grantableScopes(application, input.scopes);
  const actor = input.actor ?? SYSTEM_ACTOR;
  const issued = await inTransaction(deps.db, async (trx) => {
    const grant = await insertOAuthGrant(trx, {
      application_id: application.id,
      user_id: input.serviceAccount.id,
      scopes: JSON.stringify(scopes),
      flow: 'composite',
      workflow_id: input.workflowId ?? null,
      auth_time: null,
      created_at: isoNow(deps.clock),
      revoked_at: null,
      revoked_reason: null,
    });
    const pair = await issueTokenPair(trx, deps, actor, grant, {
      scopes,
      refresh: false,
      lifetimeSeconds: expiresInSeconds,
      via: input.via ?? 'composite',
    });
    return { grant, pair };
  });
  countIssuedOAuthToken(deps);
  return {
    accessToken: issued.pair.accessToken,
    tokenId: issued.pair.token.id,
    grantId: issued.grant.id,
    expiresAt: issued.pair.token.expires_at,
    scopes,
  };
}

/**
 * Revokes every token issued for a workflow (grants tagged with its id): call it when the workflow
 * finishes, fails, is canceled or times out. Returns how many grants it revoked.
 */
export async function revokeWorkflowTokens(
  context: Parameters<typeof oauthDeps>[0],
  workflowId: string,
  actor: Actor = SYSTEM_ACTOR,
): Promise<number> {
  return revokeTokensOfWorkflow(oauthDeps(context), actor, workflowId);
}

/** Revokes one grant (every token in it) by id; false when unknown or already revoked. */
export async function revokeTokensOfGrant(
  context: Parameters<typeof oauthDeps>[0],
  grantId: number,
  actor: Actor = SYSTEM_ACTOR,
): Promise<boolean> {
  return revokeGrantById(oauthDeps(context), actor, grantId);
}
