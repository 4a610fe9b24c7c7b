import type { Insertable } from 'kysely';
import type { Executor } from './database.ts';
import type { ServiceAccount, ServiceAccountsTable } from './oauth.tables.ts';
import type { User } from './schema.ts';

export async function insertServiceAccount(
  db: Executor,
  account: Insertable<ServiceAccountsTable>,
): Promise<ServiceAccount> {
  return db.insertInto('service_accounts').values(account).returningAll().executeTakeFirstOrThrow();
}

export async function findServiceAccount(db: Executor, userId: number): Promise<ServiceAccount | undefined> {
  return db.selectFrom('service_accounts').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

/** Service accounts (their users) of the instance (`namespaceId` null) or of one group, oldest first. */
export async function listServiceAccountUsers(
  db: Executor,
  namespaceId: number | null,
  page: { limit: number; offset: number },
): Promise<User[]> {
  return db
    .selectFrom('service_accounts')
    .innerJoin('users', 'users.id', 'service_accounts.user_id')
    .selectAll('users')
    .where('service_accounts.namespace_id', namespaceId === null ? 'is' : '=', namespaceId)
    .orderBy('users.id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
}

export async function countServiceAccounts(db: Executor, namespaceId: number | null): Promise<number> {
  const row = await db
    .selectFrom('service_accounts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('namespace_id', namespaceId === null ? 'is' : '=', namespaceId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
