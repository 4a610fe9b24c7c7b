import type { Kysely } from 'kysely';
import { idColumn } from './columns.ts';

/**
 * Deploy tokens (with the overlap window of a rotation and the sealed copy of `gitlab-deploy-token`),
 * instance-wide application settings, the per-project Auto DevOps and deploy settings, and the
 * self-signed certificates that wrap the registry's signing keys.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('deploy_tokens')
    .addColumn('id', ...idColumn(db))
    .addColumn('project_id', 'integer', (c) => c.references('projects.id').onDelete('cascade'))
    .addColumn('group_id', 'integer', (c) => c.references('namespaces.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull().unique())
    .addColumn('previous_digest', 'text')
    .addColumn('previous_valid_until', 'text')
    .addColumn('secret_sealed', 'text')
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('revoked_at', 'text')
    .addColumn('auto_created', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('creator_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('rotated_at', 'text')
    .addColumn('last_used_at', 'text')
    .execute();
  await db.schema.createIndex('deploy_tokens_project').on('deploy_tokens').column('project_id').execute();
  await db.schema.createIndex('deploy_tokens_group').on('deploy_tokens').column('group_id').execute();
  await db.schema
    .createIndex('deploy_tokens_previous_digest')
    .on('deploy_tokens')
    .column('previous_digest')
    .execute();
  await db.schema.createIndex('deploy_tokens_expires').on('deploy_tokens').column('expires_at').execute();

  await db.schema
    .createTable('application_settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('project_deploy_settings')
    .addColumn('project_id', 'integer', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    .addColumn('auto_devops_enabled', 'integer')
    .addColumn('deploy_token_grace_seconds', 'integer')
    .addColumn('deploy_variables_environment_only', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('registry_certificates')
    .addColumn('kid', 'text', (c) => c.primaryKey().references('signing_keys.kid').onDelete('cascade'))
    .addColumn('certificate_pem', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'registry_certificates',
    'project_deploy_settings',
    'application_settings',
    'deploy_tokens',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
