import type { Insertable } from 'kysely';
import type { Executor } from './database.ts';
import { preparedQuery } from './prepared-query.ts';
import type { OAuthApplication, OAuthApplicationsTable } from './oauth.tables.ts';

/** Stores a new application (its secret's digest, never the secret) and returns the row. */
export async function insertOAuthApplication(
  db: Executor,
  application: Insertable<OAuthApplicationsTable>,
): Promise<OAuthApplication> {
  return db.insertInto('oauth_applications').values(application).returningAll().executeTakeFirstOrThrow();
}

/** The application a `client_id` names. */
export async function findOAuthApplicationByUid(
  db: Executor,
  uid: string,
): Promise<OAuthApplication | undefined> {
  return (await applicationByUid(db, uid))[0];
}

// Every token, revocation and introspection request authenticates its client: compiled once.
const applicationByUid = preparedQuery((db: Executor, uid: string) =>
  db.selectFrom('oauth_applications').selectAll().where('uid', '=', uid),
);

export async function findOAuthApplicationById(
  db: Executor,
  id: number,
): Promise<OAuthApplication | undefined> {
  return db.selectFrom('oauth_applications').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Instance-wide applications (`ownerId` null) or one user's own, oldest first. */
export async function listOAuthApplications(
  db: Executor,
  ownerId: number | null,
  page: { limit: number; offset: number },
): Promise<OAuthApplication[]> {
  return db
    .selectFrom('oauth_applications')
    .selectAll()
    .where('owner_id', ownerId === null ? 'is' : '=', ownerId)
    .orderBy('id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
}

export async function countOAuthApplications(db: Executor, ownerId: number | null): Promise<number> {
  const row = await db
    .selectFrom('oauth_applications')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('owner_id', ownerId === null ? 'is' : '=', ownerId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Replaces the secret's digest (renewal); the old secret stops working at once. */
export async function updateOAuthApplicationSecret(
  db: Executor,
  id: number,
  secretDigest: string,
): Promise<void> {
  await db
    .updateTable('oauth_applications')
    .set({ secret_digest: secretDigest })
    .where('id', '=', id)
    .execute();
}

/** Deletes the application and, through the foreign keys, every grant, code and token issued under it. */
export async function deleteOAuthApplication(db: Executor, id: number): Promise<boolean> {
  const result = await db.deleteFrom('oauth_applications').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
