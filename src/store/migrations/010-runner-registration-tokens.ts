import type { Kysely } from 'kysely';

/**
 * Runner registration tokens (the legacy way to register a runner, off unless an administrator allows
 * it): one for the instance, kept as a digest only, and one per project, also sealed, since the
 * platform shows a project's `runners_token` to its maintainers again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ci_runner_registration_tokens')
    // `instance`, or `project:<id>`: one token per scope.
    .addColumn('scope', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'integer', (c) => c.references('projects.id').onDelete('cascade'))
    .addColumn('token_digest', 'text', (c) => c.notNull().unique())
    .addColumn('token_sealed', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ci_runner_registration_tokens').execute();
}
