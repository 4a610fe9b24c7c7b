import type { Actor } from '../../audit/audit-log.ts';
import { forbidden, notFound } from '../../errors/tessera-error.ts';
import { findAccessTokenById, type Page } from '../../store/access-tokens.repository.ts';
import type { AccessToken, User } from '../../store/schema.ts';
import { findUserById } from '../../store/users.repository.ts';
import type { AccessTokenDeps } from './access-token-deps.ts';
import { validateGranularScopes } from './granular-scopes.ts';
import { validateNewAccessToken, type NewAccessTokenRequest } from './access-token-input.ts';
import {
  auditAccessToken,
  countIssued,
  issueAccessToken,
  type IssuedAccessToken,
} from './issue-access-token.ts';
import { listMatchingAccessTokens, type AccessTokenListing } from './list-access-tokens.ts';
import { revokeAccessToken } from './revoke-access-token.ts';

/*
 * Impersonation tokens: personal access tokens an administrator makes in a user's name, to act as
 * that user through the API without their password. They carry the `glpat-` prefix and authenticate
 * as the user; only administrators see or manage them, and the audit trail names the administrator.
 * With impersonation disabled (`TESSERA_IMPERSONATION_ENABLED=false`) none can be made or used.
 */

/** The user an administrator manages impersonation tokens of; 403 for anyone else, 404 for no such user. */
async function impersonatedUser(deps: AccessTokenDeps, requester: User, userId: number): Promise<User> {
  if (requester.is_admin !== 1) throw forbidden();
  if (!deps.policy.impersonationEnabled) throw forbidden('403 Forbidden - Impersonation has been disabled');
  const user = Number.isSafeInteger(userId) ? await findUserById(deps.db, userId) : undefined;
  if (!user) throw notFound('User');
  return user;
}

/** Makes an impersonation token for `userId`; without `expires_at`, it lives as long as the policy allows. */
export async function createImpersonationToken(
  deps: AccessTokenDeps,
  actor: Actor,
  requester: User,
  userId: number,
  request: NewAccessTokenRequest,
): Promise<IssuedAccessToken> {
  const user = await impersonatedUser(deps, requester, userId);
  if (user.bot_kind !== null) throw forbidden('403 Forbidden - bot users cannot have personal access tokens');
  const valid = validateNewAccessToken(
    request,
    { kind: 'person', isAdmin: user.is_admin === 1 },
    deps.clock,
    deps.policy.maxLifetimeDays,
  );
  const granularScopes =
    request.granularScopes === undefined
      ? null
      : await validateGranularScopes(deps.db, user, request.granularScopes);
  const issued = await deps.db.transaction().execute(async (trx) => {
    const created = await issueAccessToken(trx, deps, {
      kind: 'personal',
      userId: user.id,
      resourceId: null,
      ...valid,
      granularScopes,
      accessLevel: null,
      previousTokenId: null,
      impersonation: true,
    });
    await auditAccessToken(trx, deps, actor, 'created', created.token);
    return created;
  });
  countIssued(deps, issued.token);
  return issued;
}

/** `GET /users/:user_id/impersonation_tokens`, with GitLab's `state`: `all` (default), `active`, `inactive`. */
export async function listImpersonationTokens(
  deps: AccessTokenDeps,
  requester: User,
  userId: number,
  state: 'all' | 'active' | 'inactive',
  page: Page,
): Promise<AccessTokenListing> {
  const user = await impersonatedUser(deps, requester, userId);
  return listMatchingAccessTokens(
    deps,
    state === 'all' ? {} : { state },
    { kind: 'personal', userId: user.id, impersonation: true },
    page,
  );
}

/** One impersonation token of the user; 404 for a token that is not one of theirs. */
export async function findImpersonationToken(
  deps: AccessTokenDeps,
  requester: User,
  userId: number,
  tokenId: number,
): Promise<AccessToken> {
  const user = await impersonatedUser(deps, requester, userId);
  const token = Number.isSafeInteger(tokenId) ? await findAccessTokenById(deps.db, tokenId) : undefined;
  if (!token || token.user_id !== user.id || token.impersonation !== 1) throw notFound('Impersonation Token');
  return token;
}

/** Revokes one impersonation token of the user (audited, the administrator as actor). */
export async function revokeImpersonationToken(
  deps: AccessTokenDeps,
  actor: Actor,
  requester: User,
  userId: number,
  tokenId: number,
): Promise<void> {
  await revokeAccessToken(deps, actor, await findImpersonationToken(deps, requester, userId, tokenId));
}
