import type { Insertable } from 'kysely';
import type { CiRunnersTable, Runner } from './ci-schema.ts';
import type { Executor } from './database.ts';

export async function insertRunner(db: Executor, runner: Insertable<CiRunnersTable>): Promise<Runner> {
  return db.insertInto('ci_runners').values(runner).returningAll().executeTakeFirstOrThrow();
}

export async function findRunnerById(db: Executor, id: number): Promise<Runner | undefined> {
  return db.selectFrom('ci_runners').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findRunnerByTokenDigest(db: Executor, digest: string): Promise<Runner | undefined> {
  return db.selectFrom('ci_runners').selectAll().where('token_digest', '=', digest).executeTakeFirst();
}

export async function touchRunner(db: Executor, id: number, at: string): Promise<void> {
  await db.updateTable('ci_runners').set({ contacted_at: at }).where('id', '=', id).execute();
}

export async function deleteRunner(db: Executor, id: number): Promise<boolean> {
  const rows = await db.deleteFrom('ci_runners').where('id', '=', id).returning('id').execute();
  return rows.length > 0;
}

/** Every runner, oldest first; the callers filter by what the requester may see. */
export async function listRunners(db: Executor): Promise<Runner[]> {
  return db.selectFrom('ci_runners').selectAll().orderBy('id').execute();
}

export async function updateRunner(
  db: Executor,
  id: number,
  changes: Partial<Pick<Runner, 'description' | 'paused' | 'tag_list' | 'run_untagged' | 'token_digest'>>,
): Promise<Runner | undefined> {
  return db.updateTable('ci_runners').set(changes).where('id', '=', id).returningAll().executeTakeFirst();
}
