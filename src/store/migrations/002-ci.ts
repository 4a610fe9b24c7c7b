import type { Kysely } from 'kysely';
import { idColumn } from './columns.ts';

/**
 * CI: per-project CI settings and protected branches, pipelines and jobs, runners, the job-token
 * inbound allowlist and its authentication log.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ci_project_settings')
    .addColumn('project_id', 'integer', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    .addColumn('job_token_inbound_enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('id_token_sub_claim_components', 'text')
    .addColumn('legacy_job_jwt_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('default_branch_protected', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('job_timeout_seconds', 'integer', (c) => c.notNull().defaultTo(3600))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('protected_branches')
    .addColumn('id', ...idColumn(db))
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('push_access_level', 'integer', (c) => c.notNull().defaultTo(40))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('protected_branches_project_name', ['project_id', 'name'])
    .execute();

  await db.schema
    .createTable('ci_pipelines')
    .addColumn('id', ...idColumn(db))
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('tag', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('sha', 'text', (c) => c.notNull())
    .addColumn('before_sha', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('yaml_errors', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('ci_pipelines_project').on('ci_pipelines').column('project_id').execute();

  await db.schema
    .createTable('ci_runners')
    .addColumn('id', ...idColumn(db))
    .addColumn('runner_type', 'text', (c) => c.notNull())
    .addColumn('project_id', 'integer', (c) => c.references('projects.id').onDelete('cascade'))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('token_digest', 'text', (c) => c.notNull().unique())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('tag_list', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('run_untagged', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('paused', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('contacted_at', 'text')
    .execute();

  await db.schema
    .createTable('ci_jobs')
    .addColumn('id', ...idColumn(db))
    .addColumn('pipeline_id', 'integer', (c) => c.notNull().references('ci_pipelines.id').onDelete('cascade'))
    .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('stage_idx', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('failure_reason', 'text')
    .addColumn('user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('runner_id', 'integer', (c) => c.references('ci_runners.id').onDelete('set null'))
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('tag_list', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('timeout_seconds', 'integer', (c) => c.notNull())
    .addColumn('token_digest', 'text', (c) => c.unique())
    .addColumn('trace', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('queued_at', 'text')
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('ci_jobs_pipeline').on('ci_jobs').column('pipeline_id').execute();
  await db.schema.createIndex('ci_jobs_status').on('ci_jobs').column('status').execute();

  await db.schema
    .createTable('ci_job_token_project_scope_links')
    .addColumn('id', ...idColumn(db))
    .addColumn('source_project_id', 'integer', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('target_project_id', 'integer', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('added_by_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('ci_job_token_project_links_pair', ['source_project_id', 'target_project_id'])
    .execute();

  await db.schema
    .createTable('ci_job_token_group_scope_links')
    .addColumn('id', ...idColumn(db))
    .addColumn('source_project_id', 'integer', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('target_group_id', 'integer', (c) =>
      c.notNull().references('namespaces.id').onDelete('cascade'),
    )
    .addColumn('added_by_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('ci_job_token_group_links_pair', ['source_project_id', 'target_group_id'])
    .execute();

  await db.schema
    .createTable('ci_job_token_authorizations')
    .addColumn('id', ...idColumn(db))
    .addColumn('accessed_project_id', 'integer', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('origin_project_id', 'integer', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('last_authorized_at', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull().defaultTo(1))
    .addUniqueConstraint('ci_job_token_authorizations_pair', ['accessed_project_id', 'origin_project_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'ci_job_token_authorizations',
    'ci_job_token_group_scope_links',
    'ci_job_token_project_scope_links',
    'ci_jobs',
    'ci_runners',
    'ci_pipelines',
    'protected_branches',
    'ci_project_settings',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
