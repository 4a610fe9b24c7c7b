import type { Kysely } from 'kysely';
import { idColumn } from './columns.ts';

/**
 * CI/CD variables on three levels (instance, group, project) and the variables a pipeline was started
 * with (trigger variables). Values are sealed under the key-encryption key: jobs need them back.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ci_variables')
    .addColumn('id', ...idColumn(db))
    // Exactly one of the two is set, or neither for an instance variable.
    .addColumn('project_id', 'integer', (c) => c.references('projects.id').onDelete('cascade'))
    .addColumn('group_id', 'integer', (c) => c.references('namespaces.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value_sealed', 'text', (c) => c.notNull())
    .addColumn('variable_type', 'text', (c) => c.notNull().defaultTo('env_var'))
    .addColumn('protected', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('masked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('hidden', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('raw', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('environment_scope', 'text', (c) => c.notNull().defaultTo('*'))
    .addColumn('description', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ci_variables_project').on('ci_variables').column('project_id').execute();
  await db.schema.createIndex('ci_variables_group').on('ci_variables').column('group_id').execute();

  await db.schema
    .createTable('ci_pipeline_variables')
    .addColumn('id', ...idColumn(db))
    .addColumn('pipeline_id', 'integer', (c) => c.notNull().references('ci_pipelines.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value_sealed', 'text', (c) => c.notNull())
    .addColumn('variable_type', 'text', (c) => c.notNull().defaultTo('env_var'))
    .execute();
  await db.schema
    .createIndex('ci_pipeline_variables_pipeline')
    .on('ci_pipeline_variables')
    .column('pipeline_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ci_pipeline_variables').execute();
  await db.schema.dropTable('ci_variables').execute();
}
