import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
import { withStatementCache } from './statement-cache.ts';

export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;
/** Either the database or an open transaction: repository functions accept both. */
export type Executor = Db | Trx;

export type Engine = 'sqlite' | 'postgres';

export function engineOf(databaseUrl: string): Engine {
  return databaseUrl.startsWith('sqlite:') ? 'sqlite' : 'postgres';
}

/** Opens the store named by a `sqlite:<file>` or `postgres://…` URL. */
export function openDatabase(databaseUrl: string): Db {
  if (engineOf(databaseUrl) === 'sqlite') {
    const file = databaseUrl.slice('sqlite:'.length);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const connection = new BetterSqlite3(file);
    connection.pragma('journal_mode = WAL');
    connection.pragma('foreign_keys = ON');
    // Several processes (CLI next to a running server) may share the file.
    connection.pragma('busy_timeout = 5000');
    return new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(connection) }) });
  }
  // Counts come back as strings from pg unless told otherwise; every count here fits a JS number.
  pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  // An idle connection that drops (a database restart) must not crash the process: the next query
  // fails or reconnects, and readiness reports the outage.
  pool.on('error', () => {});
  // A client checked out of the pool (inside a transaction, between two queries) has no error
  // listener of the pool's: if the server goes away then, the client emits 'error' with nobody
  // listening, which would kill the process. The failure still reaches whoever uses the client next.
  pool.on('connect', (client) => client.on('error', () => {}));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** True when the store answers a trivial query. */
export async function isReachable(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
