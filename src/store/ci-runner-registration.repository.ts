import type { CiRunnerRegistrationTokensTable } from './ci-schema.ts';
import type { Executor } from './database.ts';

export type RunnerRegistrationToken = CiRunnerRegistrationTokensTable;

export async function findRegistrationTokenByDigest(
  db: Executor,
  digest: string,
): Promise<RunnerRegistrationToken | undefined> {
  return db
    .selectFrom('ci_runner_registration_tokens')
    .selectAll()
    .where('token_digest', '=', digest)
    .executeTakeFirst();
}

export async function findRegistrationTokenOfScope(
  db: Executor,
  scope: string,
): Promise<RunnerRegistrationToken | undefined> {
  return db
    .selectFrom('ci_runner_registration_tokens')
    .selectAll()
    .where('scope', '=', scope)
    .executeTakeFirst();
}

/** Replaces the scope's token (the old one stops at once, being gone). */
export async function replaceRegistrationToken(db: Executor, token: RunnerRegistrationToken): Promise<void> {
  await db.deleteFrom('ci_runner_registration_tokens').where('scope', '=', token.scope).execute();
  await db.insertInto('ci_runner_registration_tokens').values(token).execute();
}

/** Deletes the registration tokens of these projects; returns the scopes that had one. */
export async function deleteProjectRegistrationTokens(db: Executor, projectIds: number[]): Promise<string[]> {
  if (projectIds.length === 0) return [];
  const rows = await db
    .deleteFrom('ci_runner_registration_tokens')
    .where('project_id', 'in', projectIds)
    .returning('scope')
    .execute();
  return rows.map((row) => row.scope);
}

export async function deleteRegistrationToken(db: Executor, scope: string): Promise<boolean> {
  const rows = await db
    .deleteFrom('ci_runner_registration_tokens')
    .where('scope', '=', scope)
    .returning('scope')
    .execute();
  return rows.length > 0;
}
