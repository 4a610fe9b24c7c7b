import { sql, type Kysely } from 'kysely';

/**
 * The workflow service's revocations, shared by its replicas: one row per (instance, workflow) whose
 * tokens were revoked, the `jti`s generated for it since (a resumed workflow's fresh tokens), and one
 * counter every change takes its `version` from, so that a replica can ask for what changed since the
 * last version it saw.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('workflow_revocation_versions')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .execute();
  await sql`insert into workflow_revocation_versions (id, version) values (1, 0)`.execute(db);

  await db.schema
    .createTable('workflow_revocations')
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('generation', 'bigint', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'text', (c) => c.notNull())
    .addColumn('forget_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('workflow_revocations_key', ['instance_id', 'workflow_id'])
    .execute();
  await db.schema
    .createIndex('workflow_revocations_version')
    .on('workflow_revocations')
    .column('version')
    .execute();
  await db.schema
    .createIndex('workflow_revocations_forget_at')
    .on('workflow_revocations')
    .column('forget_at')
    .execute();

  await db.schema
    .createTable('workflow_revocation_fresh_tokens')
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('jti', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('workflow_revocation_fresh_tokens_key', ['instance_id', 'workflow_id', 'jti'])
    .addForeignKeyConstraint(
      'workflow_revocation_fresh_tokens_revocation',
      ['instance_id', 'workflow_id'],
      'workflow_revocations',
      ['instance_id', 'workflow_id'],
      (c) => c.onDelete('cascade'),
    )
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('workflow_revocation_fresh_tokens').execute();
  await db.schema.dropTable('workflow_revocations').execute();
  await db.schema.dropTable('workflow_revocation_versions').execute();
}
