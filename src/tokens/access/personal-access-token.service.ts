import type { Actor } from '../../audit/audit-log.ts';
import { SYSTEM_ACTOR } from '../../audit/audit-log.ts';
import { TesseraError, forbidden, notFound } from '../../errors/tessera-error.ts';
import { findAccessTokenByDigest, findAccessTokenById } from '../../store/access-tokens.repository.ts';
import type { AccessToken, User } from '../../store/schema.ts';
import { findUserById } from '../../store/users.repository.ts';
import type { AccessTokenDeps } from './access-token-deps.ts';
import { validateGranularScopes } from './granular-scopes.ts';
import { addDays, todayUtc, validateExpiry } from './access-token-expiry.ts';
import { validateNewAccessToken, type NewAccessTokenRequest } from './access-token-input.ts';
import { assertUsableGivenSecret } from './access-token-secret.ts';
import {
  auditAccessToken,
  countIssued,
  issueAccessToken,
  type IssuedAccessToken,
} from './issue-access-token.ts';
import { revokeAccessToken } from './revoke-access-token.ts';
import { validateScopes } from './scopes.ts';

/**
 * Creates a personal access token for `ownerId`. People create their own; an administrator creates
 * them for anyone. Bots own only the tokens of their project or group. Without `expires_at` it lives
 * as long as the policy allows. The token's secret is in the result and nowhere else.
 */
export async function createPersonalAccessToken(
  deps: AccessTokenDeps,
  actor: Actor,
  requester: User,
  ownerId: number,
  request: NewAccessTokenRequest,
): Promise<IssuedAccessToken> {
  const isSelf = requester.id === ownerId;
  if (!isSelf && !requester.is_admin) throw forbidden();
  const owner = isSelf ? requester : await findUserById(deps.db, ownerId);
  if (!owner) throw notFound('User');
  if (owner.bot_kind !== null)
    throw forbidden('403 Forbidden - bot users cannot have personal access tokens');
  const valid = validateNewAccessToken(
    request,
    { kind: 'person', isAdmin: owner.is_admin === 1 },
    deps.clock,
    deps.policy.maxLifetimeDays,
  );
  const granularScopes =
    request.granularScopes === undefined
      ? null
      : await validateGranularScopes(deps.db, owner, request.granularScopes);
  const issued = await deps.db.transaction().execute(async (trx) => {
    const created = await issueAccessToken(trx, deps, {
      kind: 'personal',
      userId: owner.id,
      resourceId: null,
      ...valid,
      granularScopes,
      accessLevel: null,
      previousTokenId: null,
    });
    await auditAccessToken(trx, deps, actor, 'created', created.token);
    return created;
  });
  countIssued(deps, issued.token);
  return issued;
}

/** A personal access token the requester may see: their own, or anyone's for an administrator; else 404. */
export async function findVisiblePersonalAccessToken(
  deps: AccessTokenDeps,
  requester: User,
  id: number,
): Promise<AccessToken> {
  const token = Number.isSafeInteger(id) ? await findAccessTokenById(deps.db, id) : undefined;
  if (!token) throw notFound('Token');
  // A user sees their own tokens, but not the impersonation tokens an administrator holds in their name.
  const own = token.user_id === requester.id && token.impersonation === 0;
  if (!own && !requester.is_admin) throw notFound('Token');
  return token;
}

/** Revokes a token the requester may see (see {@link findVisiblePersonalAccessToken}). */
export async function revokePersonalAccessToken(
  deps: AccessTokenDeps,
  actor: Actor,
  requester: User,
  id: number,
): Promise<void> {
  const token = await findVisiblePersonalAccessToken(deps, requester, id);
  await revokeAccessToken(deps, actor, token);
}

export interface SeedTokenInput {
  user: User;
  name: string;
  scopes: readonly string[];
  /** `YYYY-MM-DD`; the longest the policy allows when absent. */
  expiresAt?: string;
  /** A chosen secret (`TESSERA_ROOT_TOKEN`): must carry the `glpat-` prefix and be ≥ 20 characters. */
  plaintext?: string;
}

/**
 * Gives a user a personal access token without a requester: for the demo seed and the CLI. With a
 * chosen secret it is idempotent: when that secret already belongs to the user, the stored token is
 * returned with `created: false`.
 *
 * @example
 * const { plaintext } = await issuePersonalAccessToken(deps, { user: root, name: 'demo', scopes: ['api'] });
 */
export async function issuePersonalAccessToken(
  deps: AccessTokenDeps,
  input: SeedTokenInput,
  actor: Actor = SYSTEM_ACTOR,
): Promise<IssuedAccessToken & { created: boolean }> {
  if (input.plaintext !== undefined) {
    assertUsableGivenSecret(input.plaintext, deps.policy.tokenPrefix);
    const existing = await findAccessTokenByDigest(deps.db, deps.digester.digest(input.plaintext));
    if (existing && existing.user_id === input.user.id && existing.kind === 'personal') {
      return { token: existing, plaintext: input.plaintext, created: false };
    }
    if (existing) throw new TesseraError('conflict', 'the given token secret is already in use');
  }
  const expiresAt =
    input.expiresAt === undefined
      ? addDays(todayUtc(deps.clock), deps.policy.maxLifetimeDays)
      : validateExpiry(input.expiresAt, deps.clock, deps.policy.maxLifetimeDays);
  const scopes = validateScopes(input.scopes, { kind: 'person', isAdmin: input.user.is_admin === 1 });
  const issued = await deps.db.transaction().execute(async (trx) => {
    const created = await issueAccessToken(trx, deps, {
      kind: 'personal',
      userId: input.user.id,
      resourceId: null,
      name: input.name,
      description: '',
      scopes,
      accessLevel: null,
      expiresAt,
      previousTokenId: null,
      ...(input.plaintext === undefined ? {} : { plaintext: input.plaintext }),
    });
    await auditAccessToken(trx, deps, actor, 'created', created.token);
    return created;
  });
  countIssued(deps, issued.token);
  return { ...issued, created: true };
}
