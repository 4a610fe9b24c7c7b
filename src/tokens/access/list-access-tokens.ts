import { forbidden } from '../../errors/tessera-error.ts';
import {
  countAccessTokens,
  listAccessTokens,
  type AccessTokenFilter,
  type Page,
} from '../../store/access-tokens.repository.ts';
import type { AccessToken, User } from '../../store/schema.ts';
import type { AccessTokenDeps } from './access-token-deps.ts';
import { todayUtc } from './access-token-expiry.ts';

/** The filters a client may apply to a token listing, already parsed (times ISO, expiry dates `YYYY-MM-DD`). */
export interface AccessTokenQuery {
  userId?: number;
  state?: 'active' | 'inactive';
  revoked?: boolean;
  search?: string;
  createdAfter?: string;
  createdBefore?: string;
  expiresAfter?: string;
  expiresBefore?: string;
  lastUsedAfter?: string;
  lastUsedBefore?: string;
}

export interface AccessTokenListing {
  tokens: AccessToken[];
  total: number;
}

/** The page and the total count of the tokens matching `filter`. */
export async function listMatchingAccessTokens(
  deps: AccessTokenDeps,
  query: AccessTokenQuery,
  scope: Pick<AccessTokenFilter, 'kind' | 'userId' | 'resourceId' | 'impersonation'>,
  page: Page,
): Promise<AccessTokenListing> {
  const { state, userId: _ignored, ...rest } = query;
  const filter: AccessTokenFilter = {
    ...rest,
    ...scope,
    ...(state ? { state: { value: state, today: todayUtc(deps.clock) } } : {}),
  };
  const [tokens, total] = await Promise.all([
    listAccessTokens(deps.db, filter, page),
    countAccessTokens(deps.db, filter),
  ]);
  return { tokens, total };
}

/**
 * `GET /personal_access_tokens`: the requester's own tokens; an administrator sees everyone's, or one
 * user's with `userId`. Asking for another user's tokens without being an administrator is a 403.
 */
export async function listPersonalAccessTokens(
  deps: AccessTokenDeps,
  requester: User,
  query: AccessTokenQuery,
  page: Page,
): Promise<AccessTokenListing> {
  if (!requester.is_admin && query.userId !== undefined && query.userId !== requester.id) throw forbidden();
  if (requester.is_admin) {
    return listMatchingAccessTokens(
      deps,
      query,
      query.userId === undefined ? {} : { userId: query.userId },
      page,
    );
  }
  // A user never sees the impersonation tokens an administrator holds in their name.
  return listMatchingAccessTokens(deps, query, { userId: requester.id, impersonation: false }, page);
}
