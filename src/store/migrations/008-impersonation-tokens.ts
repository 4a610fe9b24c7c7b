import type { Kysely } from 'kysely';

/**
 * Impersonation tokens: personal access tokens an administrator makes for a user. They live beside
 * the user's own tokens, marked, so every answer can say which kind a token is.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('access_tokens')
    .addColumn('impersonation', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
