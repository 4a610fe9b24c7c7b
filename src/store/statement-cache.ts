import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Distinct SQL texts kept prepared; the application issues far fewer than this. */
const DEFAULT_CAPACITY = 1000;

/**
 * A better-sqlite3 connection whose statements are prepared once per SQL text and reused. Kysely asks
 * for a fresh statement on every query, and preparing costs several times more than running a small
 * indexed lookup, so the hot paths (token authentication) spend most of their time there otherwise.
 * Reuse is safe because better-sqlite3 runs each statement to completion synchronously; SQLite itself
 * re-prepares a statement whose schema changed. (A streamed query, Kysely's `.stream()`, holds its
 * statement open and would need one of its own: nothing in Tessera streams.)
 */
export function withStatementCache(
  connection: BetterSqlite3.Database,
  capacity = DEFAULT_CAPACITY,
): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => connection.close(),
    prepare(sql: string): SqliteStatement {
      const cached = statements.get(sql);
      if (cached) {
        // Move to the end: the map's insertion order doubles as least-recently-used order.
        statements.delete(sql);
        statements.set(sql, cached);
        return cached;
      }
      const prepared = connection.prepare(sql) as unknown as SqliteStatement;
      statements.set(sql, prepared);
      if (statements.size > capacity) statements.delete(statements.keys().next().value!);
      return prepared;
    },
  };
}
