import type { Actor } from '../audit/audit-log.ts';
import { forbidden } from '../errors/tessera-error.ts';
import type { Db } from '../store/database.ts';
import type { User } from '../store/schema.ts';
import { accessTokenCacheFor } from '../tokens/access/access-token-cache.ts';
import { publishEviction } from '../tokens/cache-evictions.ts';
import { forgetJobsOfUser } from '../tokens/job/job-token-cache.ts';
import type { Clock } from '../util/clock.ts';
import { activateUser, blockUser, deactivateUser, unblockUser } from './user.service.ts';

export type UserAccessChange = 'block' | 'unblock' | 'deactivate' | 'activate';

const CHANGES = {
  block: blockUser,
  unblock: unblockUser,
  deactivate: deactivateUser,
  activate: activateUser,
} as const;

/**
 * An administrator blocks, unblocks, deactivates or activates a user, with what must go with it: an
 * administrator may not shut themself out, and the user's cached tokens and job tokens stop (or start)
 * working here at once and, for a block or deactivation, on the other replicas as soon as the eviction
 * reaches them — not when the caches expire. The web UI's Admin → Users and the REST API's
 * `/users/:id/block` (and `unblock`, `deactivate`, `activate`) both go through it.
 */
export async function changeUserAccess(
  deps: { db: Db; clock: Clock },
  actor: Actor,
  admin: User,
  userId: number,
  change: UserAccessChange,
): Promise<User> {
  const shutsOut = change === 'block' || change === 'deactivate';
  if (shutsOut && userId === admin.id) throw forbidden('You cannot block or deactivate yourself');
  const user = await CHANGES[change](deps.db, deps.clock, actor, userId);
  accessTokenCacheFor(deps.db, deps.clock).forgetOwner(userId);
  forgetJobsOfUser(deps.db, userId);
  if (shutsOut) await publishEviction(deps.db, { userIds: [userId] });
  return user;
}
