import type { Kysely } from 'kysely';
import { idColumn } from './columns.ts';

/**
 * The OAuth 2 provider (applications, grants, authorization codes, access/refresh token pairs,
 * device authorizations) and service accounts. Deleting an application deletes everything issued
 * under it; deleting a user deletes their grants.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oauth_applications')
    .addColumn('id', ...idColumn(db))
    .addColumn('uid', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret_digest', 'text', (c) => c.notNull().unique())
    .addColumn('redirect_uris', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('confidential', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('trusted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('dynamic_user_scope', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('owner_id', 'integer', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('oauth_applications_owner')
    .on('oauth_applications')
    .column('owner_id')
    .execute();

  await db.schema
    .createTable('oauth_grants')
    .addColumn('id', ...idColumn(db))
    .addColumn('application_id', 'integer', (c) =>
      c.notNull().references('oauth_applications.id').onDelete('cascade'),
    )
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('flow', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text')
    .addColumn('auth_time', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('revoked_reason', 'text')
    .execute();
  await db.schema
    .createIndex('oauth_grants_application')
    .on('oauth_grants')
    .column('application_id')
    .execute();
  await db.schema.createIndex('oauth_grants_user').on('oauth_grants').column('user_id').execute();
  await db.schema.createIndex('oauth_grants_workflow').on('oauth_grants').column('workflow_id').execute();

  await db.schema
    .createTable('oauth_authorization_codes')
    .addColumn('id', ...idColumn(db))
    .addColumn('grant_id', 'integer', (c) => c.notNull().references('oauth_grants.id').onDelete('cascade'))
    .addColumn('digest', 'text', (c) => c.notNull().unique())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('code_challenge', 'text')
    .addColumn('code_challenge_method', 'text')
    .addColumn('nonce', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();

  await db.schema
    .createTable('oauth_tokens')
    .addColumn('id', ...idColumn(db))
    .addColumn('grant_id', 'integer', (c) => c.notNull().references('oauth_grants.id').onDelete('cascade'))
    .addColumn('digest', 'text', (c) => c.notNull().unique())
    .addColumn('refresh_digest', 'text', (c) => c.unique())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('refreshed_at', 'text')
    .addColumn('previous_token_id', 'integer')
    .execute();
  await db.schema.createIndex('oauth_tokens_grant').on('oauth_tokens').column('grant_id').execute();

  await db.schema
    .createTable('oauth_device_codes')
    .addColumn('id', ...idColumn(db))
    .addColumn('application_id', 'integer', (c) =>
      c.notNull().references('oauth_applications.id').onDelete('cascade'),
    )
    .addColumn('digest', 'text', (c) => c.notNull().unique())
    .addColumn('user_code_digest', 'text', (c) => c.notNull().unique())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('interval_seconds', 'integer', (c) => c.notNull())
    .addColumn('last_polled_at', 'text')
    .addColumn('user_id', 'integer', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('grant_id', 'integer', (c) => c.references('oauth_grants.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('service_accounts')
    .addColumn('user_id', 'integer', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('namespace_id', 'integer', (c) => c.references('namespaces.id').onDelete('cascade'))
    .addColumn('creator_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('service_accounts_namespace')
    .on('service_accounts')
    .column('namespace_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'service_accounts',
    'oauth_device_codes',
    'oauth_tokens',
    'oauth_authorization_codes',
    'oauth_grants',
    'oauth_applications',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
