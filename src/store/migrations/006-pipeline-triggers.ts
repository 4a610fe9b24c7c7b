import type { Kysely } from 'kysely';
import { idColumn } from './columns.ts';

/** Pipeline trigger tokens (`glptt-`): only their keyed digest is kept. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ci_pipeline_triggers')
    .addColumn('id', ...idColumn(db))
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('owner_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('token_digest', 'text', (c) => c.notNull().unique())
    .addColumn('token_hint', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used', 'text')
    .execute();
  await db.schema
    .createIndex('ci_pipeline_triggers_project')
    .on('ci_pipeline_triggers')
    .column('project_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ci_pipeline_triggers').execute();
}
