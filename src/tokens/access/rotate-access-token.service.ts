import type { Actor } from '../../audit/audit-log.ts';
import { TesseraError } from '../../errors/tessera-error.ts';
import {
  findAccessTokenByDigest,
  findAccessTokenById,
  findRotationFamily,
  revokeAccessTokens,
} from '../../store/access-tokens.repository.ts';
import type { Trx } from '../../store/database.ts';
import type { AccessToken } from '../../store/schema.ts';
import { isoNow } from '../../util/clock.ts';
import { publishEviction } from '../cache-evictions.ts';
import type { AccessTokenDeps } from './access-token-deps.ts';
import { rotationExpiry } from './access-token-expiry.ts';
import { looksLikeAccessToken } from './access-token-secret.ts';
import { accessTokenState, scopesOf } from './access-token-state.ts';
import { granularScopesOf } from './granular-scopes.ts';
import {
  auditAccessToken,
  countIssued,
  issueAccessToken,
  type IssuedAccessToken,
} from './issue-access-token.ts';

/** Longer than any access token: not worth a digest. */
const MAX_TOKEN_LENGTH = 1024;

const alreadyRevoked = () => new TesseraError('bad_request', '400 Bad request - Token already revoked');
const alreadyExpired = () => new TesseraError('bad_request', '400 Bad request - Token already expired');

type Outcome = { kind: 'rotated'; issued: IssuedAccessToken } | { kind: 'reused' } | { kind: 'expired' };

/**
 * Replaces a live token with a new one of the same name, scopes, owner and role, expiring on
 * `expiresAt` (a week ahead when absent): the old one is revoked, the new one points back to it.
 *
 * Rotating a token that is already revoked means someone holds a secret that should be dead, so the
 * whole family — every predecessor and successor, the newest included — is revoked and audited, and
 * the request is refused with 400. The caller has checked the requester may manage the token.
 */
export async function rotateAccessToken(
  deps: AccessTokenDeps,
  actor: Actor,
  token: AccessToken,
  expiresAt?: unknown,
): Promise<IssuedAccessToken> {
  const newExpiry = rotationExpiry(expiresAt, deps.clock, deps.policy.maxLifetimeDays);
  const outcome = await deps.db.transaction().execute(async (trx): Promise<Outcome> => {
    const current = await findAccessTokenById(trx, token.id);
    if (!current || current.revoked) {
      await revokeFamilyIn(trx, deps, actor, token);
      return { kind: 'reused' };
    }
    if (accessTokenState(current, deps.clock) === 'expired') return { kind: 'expired' };
    // Conditional on `revoked = 0`: of two concurrent rotations only one wins; the other rolls back.
    const revoked = await revokeAccessTokens(trx, [current.id], isoNow(deps.clock));
    if (revoked.length === 0) throw alreadyRevoked();
    const issued = await issueAccessToken(trx, deps, {
      kind: current.kind,
      userId: current.user_id,
      resourceId: current.resource_id,
      name: current.name,
      description: current.description,
      scopes: scopesOf(current),
      accessLevel: current.access_level,
      expiresAt: newExpiry,
      previousTokenId: current.id,
      impersonation: current.impersonation === 1,
      // A fine-grained token rotates into one holding the same grants.
      granularScopes: granularScopesOf(current),
    });
    await auditAccessToken(trx, deps, actor, 'rotated', current, {
      new_token_id: issued.token.id,
      new_expires_at: newExpiry,
    });
    return { kind: 'rotated', issued };
  });
  if (outcome.kind === 'expired') throw alreadyExpired();
  if (outcome.kind === 'reused') {
    await forgetFamily(deps, token.id);
    throw alreadyRevoked();
  }
  deps.cache.forget(token.digest);
  await publishEviction(deps.db, { accessTokenDigests: [token.digest] });
  countIssued(deps, outcome.issued.token);
  return outcome.issued;
}

/**
 * Reuse detection for `POST …/self/rotate`: when the presented secret belongs to a revoked token, its
 * family is revoked (the caller still answers 401). True when the secret was a revoked token's.
 */
export async function revokeFamilyOnReuse(
  deps: AccessTokenDeps,
  actor: Actor,
  plaintext: string,
): Promise<boolean> {
  if (plaintext.length > MAX_TOKEN_LENGTH || !looksLikeAccessToken(plaintext, deps.policy.tokenPrefix))
    return false;
  const token = await findAccessTokenByDigest(deps.db, deps.digester.digest(plaintext));
  if (!token?.revoked) return false;
  await deps.db.transaction().execute((trx) => revokeFamilyIn(trx, deps, actor, token));
  await forgetFamily(deps, token.id);
  return true;
}

/** Revokes every live token of the family and writes one `…family_revoked` event naming them. */
async function revokeFamilyIn(
  trx: Trx,
  deps: AccessTokenDeps,
  actor: Actor,
  reused: AccessToken,
): Promise<void> {
  const family = await findRotationFamily(trx, reused.id);
  const revoked = await revokeAccessTokens(
    trx,
    family.map((member) => member.id),
    isoNow(deps.clock),
  );
  await auditAccessToken(trx, deps, actor, 'family_revoked', reused, {
    reason: 'a revoked token was presented for rotation',
    family_token_ids: family.map((member) => member.id),
    revoked_token_ids: revoked,
  });
}

async function forgetFamily(deps: AccessTokenDeps, id: number): Promise<void> {
  const digests = (await findRotationFamily(deps.db, id)).map((member) => member.digest);
  for (const digest of digests) deps.cache.forget(digest);
  await publishEviction(deps.db, { accessTokenDigests: digests });
}
