import type { Kysely } from 'kysely';

/**
 * Fine-grained personal access tokens: their grants live beside the token, as JSON, because they are
 * read whole on every authentication (with the token row, from the same cache entry) and never queried
 * by their parts. Null marks a classic token.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('access_tokens').addColumn('granular_scopes', 'text').execute();
}
