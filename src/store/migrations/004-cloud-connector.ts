import type { Kysely } from 'kysely';
import { idColumn } from './columns.ts';

/**
 * Cloud Connector: the license authority's licenses, the instance's own Cloud Connector state (one
 * row: its UUID, stored license, instance token and sync status) and add-on seat assignments.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('licenses')
    .addColumn('id', ...idColumn(db))
    .addColumn('licensee', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('plan', 'text', (c) => c.notNull())
    .addColumn('add_ons', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('starts_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('revoked_at', 'text')
    .addColumn('activation_code_digest', 'text', (c) => c.notNull().unique())
    .addColumn('license_key_digest', 'text', (c) => c.unique())
    .addColumn('instance_uuid', 'text')
    .addColumn('activated_at', 'text')
    .addColumn('last_sync_at', 'text')
    .addColumn('seats_in_use', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('cloud_connector_states')
    .addColumn('id', ...idColumn(db))
    // Always 1: the unique constraint keeps two replicas starting at once from creating two rows.
    .addColumn('slot', 'integer', (c) => c.notNull().unique().defaultTo(1))
    .addColumn('instance_uuid', 'text', (c) => c.notNull())
    .addColumn('license_id', 'text')
    .addColumn('license_key_encrypted', 'text')
    .addColumn('licensee', 'text')
    .addColumn('plan', 'text')
    .addColumn('license_add_ons', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('license_starts_at', 'text')
    .addColumn('license_expires_at', 'text')
    .addColumn('activated_at', 'text')
    .addColumn('service_account_token_encrypted', 'text')
    .addColumn('instance_token_encrypted', 'text')
    .addColumn('instance_token_issuer', 'text')
    .addColumn('instance_token_scopes', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('instance_token_expires_at', 'text')
    .addColumn('last_sync_attempt_at', 'text')
    .addColumn('last_sync_success_at', 'text')
    .addColumn('last_sync_error', 'text')
    .addColumn('sync_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_sync_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('add_on_seats')
    .addColumn('id', ...idColumn(db))
    .addColumn('add_on', 'text', (c) => c.notNull())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('assigned_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('add_on_seats_add_on_user', ['add_on', 'user_id'])
    .execute();
  await db.schema.createIndex('add_on_seats_user').on('add_on_seats').column('user_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('add_on_seats').execute();
  await db.schema.dropTable('cloud_connector_states').execute();
  await db.schema.dropTable('licenses').execute();
}
