import type { Insertable } from 'kysely';
import type { Executor } from './database.ts';
import type { AccessToken, AccessTokensTable } from './schema.ts';
import { containsIgnoringCase } from './like-pattern.ts';

export type AccessTokenKind = AccessTokensTable['kind'];

/** Stores a new access token (its digest, never its secret) and returns the row. */
export async function insertAccessToken(
  db: Executor,
  token: Insertable<AccessTokensTable>,
): Promise<AccessToken> {
  return db.insertInto('access_tokens').values(token).returningAll().executeTakeFirstOrThrow();
}

/** Stores many tokens in one statement (imports, the scale benchmark); keep a batch under ~2,000 rows. */
export async function insertAccessTokens(
  db: Executor,
  tokens: readonly Insertable<AccessTokensTable>[],
): Promise<void> {
  if (tokens.length > 0)
    await db
      .insertInto('access_tokens')
      .values([...tokens])
      .execute();
}

/** The token whose secret digests to `digest`, whatever its state. */
export async function findAccessTokenByDigest(
  db: Executor,
  digest: string,
): Promise<AccessToken | undefined> {
  return db.selectFrom('access_tokens').selectAll().where('digest', '=', digest).executeTakeFirst();
}

export async function findAccessTokenById(db: Executor, id: number): Promise<AccessToken | undefined> {
  return db.selectFrom('access_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

/** What a token listing may be narrowed by; dates and times are ISO-8601 strings. */
export interface AccessTokenFilter {
  kind?: AccessTokenKind;
  userId?: number;
  resourceId?: number;
  /** Only impersonation tokens (true) or only the others (false). */
  impersonation?: boolean;
  /** `active`: not revoked and expiring after `today`; `inactive`: the rest. */
  state?: { value: 'active' | 'inactive'; today: string };
  revoked?: boolean;
  /** Case-insensitive substring of the name. */
  search?: string;
  createdAfter?: string;
  createdBefore?: string;
  expiresAfter?: string;
  expiresBefore?: string;
  lastUsedAfter?: string;
  lastUsedBefore?: string;
}

export interface Page {
  limit: number;
  offset: number;
}

function filtered(db: Executor, filter: AccessTokenFilter) {
  let query = db.selectFrom('access_tokens');
  if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
  if (filter.resourceId !== undefined) query = query.where('resource_id', '=', filter.resourceId);
  if (filter.impersonation !== undefined) {
    query = query.where('impersonation', '=', filter.impersonation ? 1 : 0);
  }
  if (filter.revoked !== undefined) query = query.where('revoked', '=', filter.revoked ? 1 : 0);
  if (filter.state) {
    const { value, today } = filter.state;
    query =
      value === 'active'
        ? query.where('revoked', '=', 0).where('expires_at', '>', today)
        : query.where((eb) => eb.or([eb('revoked', '=', 1), eb('expires_at', '<=', today)]));
  }
  if (filter.search !== undefined) {
    query = query.where(containsIgnoringCase('name', filter.search));
  }
  if (filter.createdAfter !== undefined) query = query.where('created_at', '>=', filter.createdAfter);
  if (filter.createdBefore !== undefined) query = query.where('created_at', '<=', filter.createdBefore);
  if (filter.expiresAfter !== undefined) query = query.where('expires_at', '>=', filter.expiresAfter);
  if (filter.expiresBefore !== undefined) query = query.where('expires_at', '<=', filter.expiresBefore);
  if (filter.lastUsedAfter !== undefined) query = query.where('last_used_at', '>=', filter.lastUsedAfter);
  if (filter.lastUsedBefore !== undefined) query = query.where('last_used_at', '<=', filter.lastUsedBefore);
  return query;
}

/** One page of the tokens matching the filter, newest first. */
export async function listAccessTokens(
  db: Executor,
  filter: AccessTokenFilter,
  page: Page,
): Promise<AccessToken[]> {
  return filtered(db, filter)
    .selectAll()
    .orderBy('id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
}

/** How many tokens match the filter (for `X-Total`). */
export async function countAccessTokens(db: Executor, filter: AccessTokenFilter): Promise<number> {
  const row = await filtered(db, filter)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Marks the tokens revoked; those already revoked keep their first `revoked_at`. Returns the ids changed. */
export async function revokeAccessTokens(
  db: Executor,
  ids: readonly number[],
  at: string,
): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .updateTable('access_tokens')
    .set({ revoked: 1, revoked_at: at })
    .where('id', 'in', [...ids])
    .where('revoked', '=', 0)
    .returning('id')
    .execute();
  return rows.map((row) => row.id);
}

/**
 * Every token of the rotation chain `id` belongs to: its predecessors through `previous_token_id` and
 * every token rotated from any of them. Oldest first.
 */
export async function findRotationFamily(db: Executor, id: number): Promise<AccessToken[]> {
  let root = await findAccessTokenById(db, id);
  if (!root) return [];
  // Walk back to the first token; a chain is a handful of rotations, and the guard stops a cycle.
  for (let hops = 0; root.previous_token_id !== null && hops < 10_000; hops++) {
    const previous: AccessToken | undefined = await findAccessTokenById(db, root.previous_token_id);
    if (!previous) break;
    root = previous;
  }
  const family = [root];
  const seen = new Set([root.id]);
  for (let i = 0; i < family.length; i++) {
    const successors = await db
      .selectFrom('access_tokens')
      .selectAll()
      .where('previous_token_id', '=', family[i]!.id)
      .execute();
    for (const successor of successors) {
      if (!seen.has(successor.id)) {
        seen.add(successor.id);
        family.push(successor);
      }
    }
  }
  return family.sort((a, b) => a.id - b.id);
}

/**
 * Records a use of the token unless another request (or replica) already did so after `notAfter`:
 * the condition keeps it to one write per throttle window. True when this call wrote.
 */
export async function touchAccessTokenUsage(
  db: Executor,
  id: number,
  usage: { lastUsedAt: string; lastUsedIps: readonly string[]; notAfter: string },
): Promise<boolean> {
  const result = await db
    .updateTable('access_tokens')
    .set({ last_used_at: usage.lastUsedAt, last_used_ips: JSON.stringify(usage.lastUsedIps) })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', usage.notAfter)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
