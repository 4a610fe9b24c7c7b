import type { Actor } from '../../audit/audit-log.ts';
import { revokeAccessTokens } from '../../store/access-tokens.repository.ts';
import type { Trx } from '../../store/database.ts';
import { deleteMember } from '../../store/members.repository.ts';
import type { AccessToken } from '../../store/schema.ts';
import { updateUser } from '../../store/users.repository.ts';
import { isoNow } from '../../util/clock.ts';
import { publishEviction } from '../cache-evictions.ts';
import { forgetJobsOfUser } from '../job/job-token-cache.ts';
import type { AccessTokenDeps } from './access-token-deps.ts';
import { auditAccessToken } from './issue-access-token.ts';

/**
 * Revokes one token inside `trx` and audits it. A project or group token takes its bot with it, as on
 * the platform: the bot is blocked and loses its membership. True when something changed (revoking a
 * revoked token is a no-op, not an error).
 */
export async function revokeAccessTokenIn(
  trx: Trx,
  deps: AccessTokenDeps,
  actor: Actor,
  token: AccessToken,
): Promise<boolean> {
  const changed = await revokeAccessTokens(trx, [token.id], isoNow(deps.clock));
  if (changed.length === 0) return false;
  if (token.kind !== 'personal' && token.resource_id !== null) {
    await updateUser(trx, token.user_id, { state: 'blocked' });
    await deleteMember(
      trx,
      { type: token.kind === 'project' ? 'project' : 'namespace', id: token.resource_id },
      token.user_id,
    );
  }
  await auditAccessToken(trx, deps, actor, 'revoked', token);
  return true;
}

/** Revokes the token in a transaction of its own, then drops it from this process's cache and the other replicas'. */
export async function revokeAccessToken(
  deps: AccessTokenDeps,
  actor: Actor,
  token: AccessToken,
): Promise<boolean> {
  const changed = await deps.db.transaction().execute((trx) => revokeAccessTokenIn(trx, deps, actor, token));
  deps.cache.forget(token.digest);
  if (token.kind !== 'personal') {
    // The bot was blocked with its token: its cached tokens and running jobs stop here at once.
    deps.cache.forgetOwner(token.user_id);
    forgetJobsOfUser(deps.db, token.user_id);
  }
  await publishEviction(deps.db, {
    accessTokenDigests: [token.digest],
    ...(token.kind === 'personal' ? {} : { userIds: [token.user_id] }),
  });
  return changed;
}
