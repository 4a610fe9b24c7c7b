import type { Kysely } from 'kysely';

/**
 * The housekeeper lease of SQLite stores: which process runs the schedulers, until when. PostgreSQL
 * stores elect with an advisory lock instead and leave the table empty.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('housekeeping_leases')
    // One row per election: `instance`, `license-authority`.
    .addColumn('name', 'text', (c) => c.primaryKey())
    // The holder's replica id, for an operator to read; `token` is what a renewal must match.
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('token', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('renewed_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('housekeeping_leases').execute();
}
