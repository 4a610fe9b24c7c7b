import type { Insertable } from 'kysely';
import type { Executor } from './database.ts';
import { aliasedColumns } from './aliased-columns.ts';
import { preparedCommand, preparedQuery } from './prepared-query.ts';
import type {
  OAuthAuthorizationCode,
  OAuthAuthorizationCodesTable,
  OAuthGrant,
  OAuthGrantsTable,
  OAuthToken,
  OAuthTokensTable,
} from './oauth.tables.ts';

/*
 * The grant aggregate: a grant, its authorization codes and its access/refresh token pairs. Revoking
 * the grant kills all of them at once.
 */

export async function insertOAuthGrant(
  db: Executor,
  grant: Insertable<OAuthGrantsTable>,
): Promise<OAuthGrant> {
  return db.insertInto('oauth_grants').values(grant).returningAll().executeTakeFirstOrThrow();
}

export async function findOAuthGrantById(db: Executor, id: number): Promise<OAuthGrant | undefined> {
  return (await grantById(db, id))[0];
}

/*
 * The queries of every OAuth-authenticated request and every refresh are compiled once (see
 * prepared-query.ts): Kysely's per-call compilation cost more than SQLite's work on this path.
 */
const grantById = preparedQuery((db: Executor, id: number) =>
  db.selectFrom('oauth_grants').selectAll().where('id', '=', id),
);
const GRANT_COLUMNS = [
  'id',
  'application_id',
  'user_id',
  'scopes',
  'flow',
  'workflow_id',
  'auth_time',
  'created_at',
  'revoked_at',
  'revoked_reason',
] as const satisfies readonly (keyof OAuthGrantsTable)[];
const GRANT_FIELDS = aliasedColumns('oauth_grants', 'grant__', GRANT_COLUMNS);

/** A token pair and its grant in one row: the grant's columns under `grant__…` aliases. */
const tokenWithGrantBy = (column: 'digest' | 'refresh_digest') =>
  preparedQuery((db: Executor, digest: string) =>
    db
      .selectFrom('oauth_tokens')
      .innerJoin('oauth_grants', 'oauth_grants.id', 'oauth_tokens.grant_id')
      .selectAll('oauth_tokens')
      .select(GRANT_FIELDS.select)
      .where(`oauth_tokens.${column}`, '=', digest),
  );
const tokenWithGrantByDigest = tokenWithGrantBy('digest');
const tokenWithGrantByRefreshDigest = tokenWithGrantBy('refresh_digest');

/** Grants tagged with a workflow id, live or not. */
export async function findOAuthGrantsByWorkflow(db: Executor, workflowId: string): Promise<OAuthGrant[]> {
  return db
    .selectFrom('oauth_grants')
    .selectAll()
    .where('workflow_id', '=', workflowId)
    .orderBy('id')
    .execute();
}

/** The newest live grant a person gave an application by signing in (not a composite grant). */
export async function findLatestLiveConsent(
  db: Executor,
  applicationId: number,
  userId: number,
): Promise<OAuthGrant | undefined> {
  return db
    .selectFrom('oauth_grants')
    .selectAll()
    .where('application_id', '=', applicationId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('flow', '!=', 'composite')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * Revokes the grant and every token pair in it; a grant already revoked keeps its first reason.
 * Returns whether this call revoked it.
 */
export async function revokeOAuthGrant(
  db: Executor,
  id: number,
  at: string,
  reason: string,
): Promise<boolean> {
  const result = await db
    .updateTable('oauth_grants')
    .set({ revoked_at: at, revoked_reason: reason })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  await db
    .updateTable('oauth_tokens')
    .set({ revoked_at: at })
    .where('grant_id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
  return Number(result.numUpdatedRows) > 0;
}

export async function insertOAuthAuthorizationCode(
  db: Executor,
  code: Insertable<OAuthAuthorizationCodesTable>,
): Promise<OAuthAuthorizationCode> {
  return db.insertInto('oauth_authorization_codes').values(code).returningAll().executeTakeFirstOrThrow();
}

export async function findOAuthAuthorizationCodeByDigest(
  db: Executor,
  digest: string,
): Promise<OAuthAuthorizationCode | undefined> {
  return db
    .selectFrom('oauth_authorization_codes')
    .selectAll()
    .where('digest', '=', digest)
    .executeTakeFirst();
}

/** Marks the code used; false when another request used it first (the loser must not get tokens). */
export async function markOAuthAuthorizationCodeUsed(db: Executor, id: number, at: string): Promise<boolean> {
  const result = await db
    .updateTable('oauth_authorization_codes')
    .set({ used_at: at })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Removes authorization codes that expired before `before` (housekeeping). A replayed code is refused
 * as unknown once it is gone, just as it would be refused as expired.
 */
export async function deleteExpiredOAuthAuthorizationCodes(db: Executor, before: string): Promise<number> {
  const result = await db
    .deleteFrom('oauth_authorization_codes')
    .where('expires_at', '<', before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function insertOAuthToken(
  db: Executor,
  token: Insertable<OAuthTokensTable>,
): Promise<OAuthToken> {
  const [row] = await insertToken(
    db,
    token.grant_id,
    token.digest,
    token.refresh_digest ?? null,
    token.scopes,
    token.created_at,
    token.expires_at,
    token.revoked_at ?? null,
    token.refreshed_at ?? null,
    token.previous_token_id ?? null,
  );
  return row!;
}

const insertToken = preparedQuery(
  (
    db: Executor,
    grant_id: number,
    digest: string,
    refresh_digest: string | null,
    scopes: string,
    created_at: string,
    expires_at: string,
    revoked_at: string | null,
    refreshed_at: string | null,
    previous_token_id: number | null,
  ) =>
    db
      .insertInto('oauth_tokens')
      .values({
        grant_id,
        digest,
        refresh_digest,
        scopes,
        created_at,
        expires_at,
        revoked_at,
        refreshed_at,
        previous_token_id,
      })
      .returningAll(),
);

/** A token pair with the grant it belongs to. */
export interface OAuthTokenWithGrant {
  token: OAuthToken;
  grant: OAuthGrant;
}

async function findWithGrant(
  db: Executor,
  column: 'digest' | 'refresh_digest',
  digest: string,
): Promise<OAuthTokenWithGrant | undefined> {
  const query = column === 'digest' ? tokenWithGrantByDigest : tokenWithGrantByRefreshDigest;
  const [row] = await query(db, digest);
  if (!row) return undefined;
  const { aliased, rest } = GRANT_FIELDS.split(row);
  return { token: rest as OAuthToken, grant: aliased as OAuthGrant };
}

/** The pair whose access token digests to `digest`, whatever its state. */
export async function findOAuthTokenByDigest(
  db: Executor,
  digest: string,
): Promise<OAuthTokenWithGrant | undefined> {
  return findWithGrant(db, 'digest', digest);
}

/** The pair whose refresh token digests to `digest`, whatever its state. */
export async function findOAuthTokenByRefreshDigest(
  db: Executor,
  digest: string,
): Promise<OAuthTokenWithGrant | undefined> {
  return findWithGrant(db, 'refresh_digest', digest);
}

/**
 * Marks a pair's refresh token spent and the pair revoked (its successor replaces it). False when
 * another request spent it first: that request is the one that gets the new pair.
 */
export async function spendOAuthRefreshToken(db: Executor, id: number, at: string): Promise<boolean> {
  return (await spendRefreshToken(db, at, at, id)) > 0;
}

const spendRefreshToken = preparedCommand(
  (db: Executor, refreshedAt: string, revokedAt: string, id: number) =>
    db
      .updateTable('oauth_tokens')
      .set({ refreshed_at: refreshedAt, revoked_at: revokedAt })
      .where('id', '=', id)
      .where('refreshed_at', 'is', null)
      .where('revoked_at', 'is', null),
);

/** Revokes one pair (its access and its refresh token). */
export async function revokeOAuthToken(db: Executor, id: number, at: string): Promise<boolean> {
  const result = await db
    .updateTable('oauth_tokens')
    .set({ revoked_at: at })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** How many pairs of the application are still usable (not revoked, not expired): for the audit of a deletion. */
export async function countLiveOAuthTokensOfApplication(
  db: Executor,
  applicationId: number,
  now: string,
): Promise<number> {
  const row = await db
    .selectFrom('oauth_tokens')
    .innerJoin('oauth_grants', 'oauth_grants.id', 'oauth_tokens.grant_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('oauth_grants.application_id', '=', applicationId)
    .where('oauth_grants.revoked_at', 'is', null)
    .where('oauth_tokens.revoked_at', 'is', null)
    .where('oauth_tokens.expires_at', '>', now)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
