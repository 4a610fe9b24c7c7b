import type { Kysely } from 'kysely';
import { idColumn } from './columns.ts';

/**
 * AI workflows (remote and local), their steps and notes, and the instance's Duo workflow identity
 * (service account + trusted OAuth application). Deleting a project deletes its workflows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ai_workflows')
    .addColumn('id', ...idColumn(db))
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('service_account_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('goal', 'text', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('pipeline_id', 'integer')
    .addColumn('job_id', 'integer')
    .addColumn('oauth_grant_id', 'integer')
    .addColumn('oauth_token_id', 'integer')
    .addColumn('oauth_token_sealed', 'text')
    .addColumn('service_token_sealed', 'text')
    .addColumn('service_token_expires_at', 'text')
    .addColumn('service_revocation_pending', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deadline_at', 'text')
    .addColumn('end_reason', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('ai_workflows_project').on('ai_workflows').column('project_id').execute();
  await db.schema.createIndex('ai_workflows_job').on('ai_workflows').column('job_id').execute();
  await db.schema
    .createIndex('ai_workflows_status_deadline')
    .on('ai_workflows')
    .columns(['status', 'deadline_at'])
    .execute();

  await db.schema
    .createTable('ai_workflow_steps')
    .addColumn('id', ...idColumn(db))
    .addColumn('workflow_id', 'integer', (c) => c.notNull().references('ai_workflows.id').onDelete('cascade'))
    .addColumn('step_index', 'integer', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('output', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('ai_workflow_steps_index', ['workflow_id', 'step_index'])
    .execute();

  await db.schema
    .createTable('ai_workflow_notes')
    .addColumn('id', ...idColumn(db))
    .addColumn('workflow_id', 'integer', (c) => c.notNull().references('ai_workflows.id').onDelete('cascade'))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('author_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('ai_workflow_notes_workflow')
    .on('ai_workflow_notes')
    .column('workflow_id')
    .execute();

  await db.schema
    .createTable('ai_workflow_identities')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('service_account_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('oauth_application_id', 'integer', (c) =>
      c.notNull().references('oauth_applications.id').onDelete('cascade'),
    )
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ai_workflow_identities').execute();
  await db.schema.dropTable('ai_workflow_notes').execute();
  await db.schema.dropTable('ai_workflow_steps').execute();
  await db.schema.dropTable('ai_workflows').execute();
}
