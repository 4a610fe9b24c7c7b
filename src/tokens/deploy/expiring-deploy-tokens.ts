import { forbidden } from '../../errors/tessera-error.ts';
import {
  countDeployTokens,
  listDeployTokens,
  type DeployTokenFilter,
  type DeployTokenOwner,
} from '../../store/deploy-tokens.repository.ts';
import type { DeployToken, User } from '../../store/schema.ts';
import { addSeconds, type Clock } from '../../util/clock.ts';
import type { DeployTokenDeps } from './deploy-token-deps.ts';
import { authorizeDeployTokens, ownerOf, type DeployTokenResource } from './deploy-token.service.ts';

/** How far ahead an expiry warning looks by default. */
export const EXPIRY_WARNING_DAYS = 7;
/** The furthest ahead a listing may look. */
export const MAX_EXPIRY_WARNING_DAYS = 365;

/**
 * The listing filter for active tokens that expire within `days` from now (and have not yet), of one
 * owner or of the whole instance.
 *
 * @example
 * listDeployTokens(db, expiringFilter(clock, 7), page)
 */
export function expiringFilter(clock: Clock, days: number, owner?: DeployTokenOwner): DeployTokenFilter {
  const now = clock.now();
  return {
    ...(owner ? { owner } : {}),
    expiringBefore: { now: now.toISOString(), before: addSeconds(now, days * 24 * 3600).toISOString() },
  };
}

/**
 * Active deploy tokens expiring within `days`, one page in id order: of a project or group (its
 * maintainers), or of the whole instance (administrators; `requester` null for the operator's CLI).
 */
export async function listExpiringDeployTokens(
  deps: DeployTokenDeps,
  requester: User | null,
  resource: DeployTokenResource | null,
  days: number,
  page: { limit: number; offset: number },
): Promise<{ tokens: DeployToken[]; total: number }> {
  if (resource) {
    if (!requester) throw forbidden();
    await authorizeDeployTokens(deps, requester, resource, 'read');
  } else if (requester && !requester.is_admin) {
    throw forbidden();
  }
  const filter = expiringFilter(deps.clock, days, resource ? ownerOf(resource) : undefined);
  const [tokens, total] = await Promise.all([
    listDeployTokens(deps.db, filter, page),
    countDeployTokens(deps.db, filter),
  ]);
  return { tokens, total };
}
