import type { Executor, Trx } from './database.ts';

/**
 * Runs `work` in a transaction: a new one on a database, the caller's own when given a transaction,
 * so a service can be composed into a larger change (a bot user created with its token) and still
 * write its audit event atomically with it.
 */
export async function inTransaction<T>(db: Executor, work: (trx: Trx) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db as Trx);
  return db.transaction().execute(work);
}

/** True for a unique-constraint violation on either engine: a race lost against a concurrent insert. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
