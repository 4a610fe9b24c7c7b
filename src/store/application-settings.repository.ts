import type { Executor } from './database.ts';

/** The stored JSON value of one application setting, or undefined when it was never set. */
export async function readApplicationSetting(db: Executor, key: string): Promise<unknown> {
  const row = await db
    .selectFrom('application_settings')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirst();
  return row === undefined ? undefined : (JSON.parse(row.value) as unknown);
}

/** Sets one application setting (insert or replace). */
export async function writeApplicationSetting(
  db: Executor,
  key: string,
  value: unknown,
  at: string,
): Promise<void> {
  const json = JSON.stringify(value);
  await db
    .insertInto('application_settings')
    .values({ key, value: json, updated_at: at })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: json, updated_at: at }))
    .execute();
}
