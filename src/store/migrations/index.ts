import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from '../database.ts';
import * as foundation from './001-foundation.ts';
import * as ci from './002-ci.ts';
import * as deployTokens from './003-deploy-tokens.ts';
import * as cloudConnector from './004-cloud-connector.ts';
import * as oauth from './005-oauth.ts';
import * as pipelineTriggers from './006-pipeline-triggers.ts';
import * as aiWorkflows from './007-ai-workflows.ts';
import * as impersonationTokens from './008-impersonation-tokens.ts';
import * as ciVariables from './009-ci-variables.ts';
import * as runnerRegistrationTokens from './010-runner-registration-tokens.ts';
import * as workflowRevocations from './011-workflow-revocations.ts';
import * as granularScopes from './013-granular-scopes.ts';

/** Every migration, in the order it runs. A new one is appended here and nowhere else. */
const MIGRATIONS: Record<string, Migration> = {
  '001-foundation': foundation,
  '002-ci': ci,
  '003-deploy-tokens': deployTokens,
  '004-cloud-connector': cloudConnector,
  '005-oauth': oauth,
  '006-pipeline-triggers': pipelineTriggers,
  '007-ai-workflows': aiWorkflows,
  '008-impersonation-tokens': impersonationTokens,
  '009-ci-variables': ciVariables,
  '010-runner-registration-tokens': runnerRegistrationTokens,
  '011-workflow-revocations': workflowRevocations,
  '013-granular-scopes': granularScopes,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/** Brings the schema up to date; returns the names of the migrations it applied. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider, migrationTableName: 'tessera_migrations' });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
