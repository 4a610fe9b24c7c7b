import { CompiledQuery, PostgresAdapter, type Compilable, type QueryResult } from 'kysely';
import type { Executor } from './database.ts';

/**
 * A query built and compiled once per SQL dialect, then run with fresh parameters: Kysely compiles
 * its query tree on every execution, which on a hot path (job-token authentication, every request
 * of every CI job) costs more than the database does. `build` receives placeholder values and must
 * pass each of them to the query exactly once; they are swapped for the real ones on each run.
 *
 * @example
 * const byDigest = preparedQuery((db, digest: string) => db.selectFrom('ci_jobs').selectAll().where('token_digest', '=', digest));
 * const rows = await byDigest(db, digest);
 */
export function preparedQuery<P extends unknown[], R>(
  build: (db: Executor, ...placeholders: P) => Compilable<R>,
): (db: Executor, ...parameters: P) => Promise<R[]> {
  const run = prepared(build);
  return async (db, ...parameters) => (await run(db, ...parameters)).rows;
}

/**
 * {@link preparedQuery} for an update or delete: resolves with how many rows it changed.
 *
 * @example
 * const spend = preparedCommand((db, id: number) => db.updateTable('oauth_tokens').set({ spent: 1 }).where('id', '=', id));
 * const changed = await spend(db, 42); // 1
 */
export function preparedCommand<P extends unknown[]>(
  build: (db: Executor, ...placeholders: P) => Compilable<unknown>,
): (db: Executor, ...parameters: P) => Promise<number> {
  const run = prepared(build);
  return async (db, ...parameters) => Number((await run(db, ...parameters)).numAffectedRows ?? 0);
}

function prepared<P extends unknown[], R>(
  build: (db: Executor, ...placeholders: P) => Compilable<R>,
): (db: Executor, ...parameters: P) => Promise<QueryResult<R>> {
  const compiled = new Map<string, { sql: string; slots: number[]; fixed: readonly unknown[] }>();
  return async (db, ...parameters) => {
    const dialect = db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
    let entry = compiled.get(dialect);
    if (!entry) {
      const placeholders = parameters.map((_, i) => `\u0000placeholder-${i}\u0000`) as P;
      const query = build(db, ...placeholders).compile();
      const slots = query.parameters.map((value) => placeholders.indexOf(value as never));
      entry = { sql: query.sql, slots, fixed: query.parameters };
      compiled.set(dialect, entry);
    }
    const { slots, fixed } = entry;
    const values = slots.map((slot, i) => (slot >= 0 ? parameters[slot] : fixed[i]));
    return db.executeQuery<R>(CompiledQuery.raw(entry.sql, values));
  };
}
