import { PostgresAdapter, sql, type Insertable, type Updateable } from 'kysely';
import type { Executor, Trx } from './database.ts';
import type { SigningKey, SigningKeysTable } from './schema.ts';

export type SigningKeyState = SigningKeysTable['state'];

/** Inserts a key and returns the stored row. */
export async function insertSigningKey(db: Executor, key: Insertable<SigningKeysTable>): Promise<SigningKey> {
  return db.insertInto('signing_keys').values(key).returningAll().executeTakeFirstOrThrow();
}

/** The key of a role in a given state; the newest one should there ever be several. */
export async function findSigningKeyByState(
  db: Executor,
  role: string,
  state: SigningKeyState,
): Promise<SigningKey | undefined> {
  return db
    .selectFrom('signing_keys')
    .selectAll()
    .where('role', '=', role)
    .where('state', '=', state)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function findSigningKeyByKid(db: Executor, kid: string): Promise<SigningKey | undefined> {
  return db.selectFrom('signing_keys').selectAll().where('kid', '=', kid).executeTakeFirst();
}

/** Every key of a role, oldest first. */
export async function listSigningKeys(db: Executor, role: string): Promise<SigningKey[]> {
  return db.selectFrom('signing_keys').selectAll().where('role', '=', role).orderBy('id', 'asc').execute();
}

/** Moves a key to another state, with the timestamps that go with it. */
export async function updateSigningKeyState(
  db: Executor,
  kid: string,
  change: Pick<Updateable<SigningKeysTable>, 'activated_at' | 'retired_at' | 'remove_after'> & {
    state: SigningKeyState;
  },
): Promise<void> {
  await db.updateTable('signing_keys').set(change).where('kid', '=', kid).execute();
}

export async function deleteSigningKey(db: Executor, kid: string): Promise<void> {
  await db.deleteFrom('signing_keys').where('kid', '=', kid).execute();
}

/**
 * Serialises changes to one role's keys until the transaction ends, across processes, so that two
 * replicas starting (or rotating) at once cannot both create an active key. Re-read after calling it.
 */
export async function lockSigningKeysOfRole(trx: Trx, role: string): Promise<void> {
  if (trx.getExecutor().adapter instanceof PostgresAdapter) {
    // A row lock would not help on first start, when there is no row yet: lock the role's name instead.
    await sql`select pg_advisory_xact_lock(hashtext(${`tessera.signing_keys:${role}`}))`.execute(trx);
    return;
  }
  // SQLite has one writer at a time. Kysely opens a deferred transaction, so a write as its first
  // statement takes the write lock before anything is read (waiting through busy_timeout if needed);
  // the update matches rows or not, the lock is taken either way.
  await trx.updateTable('signing_keys').set({ role }).where('role', '=', role).execute();
}
