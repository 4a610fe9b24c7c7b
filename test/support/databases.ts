import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Db, type Engine } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrations/index.ts';

/** Both engines every store test runs on. */
export const ENGINES: readonly Engine[] = ['sqlite', 'postgres'];

/** The PostgreSQL server tests create their databases on (CI: trust auth at 127.0.0.1:5432). */
export const POSTGRES_ADMIN_URL =
  process.env.TESSERA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  engine: Engine;
  url: string;
  db: Db;
  destroy(): Promise<void>;
}

/** A fresh, migrated database of its own: a temp SQLite file, or a new PostgreSQL database. */
export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  const url = engine === 'sqlite' ? sqliteUrl() : await createPostgresDatabase();
  const db = openDatabase(url);
  await migrateToLatest(db);
  return {
    engine,
    url,
    db,
    async destroy() {
      await db.destroy();
      if (engine === 'postgres') await dropPostgresDatabase(url);
      else rmSync(join(url.slice('sqlite:'.length), '..'), { recursive: true, force: true });
    },
  };
}

/** A database URL with nothing in it yet (for tests of migration and start-up). */
export async function createEmptyDatabaseUrl(
  engine: Engine,
): Promise<{ url: string; drop(): Promise<void> }> {
  if (engine === 'sqlite') {
    const url = sqliteUrl();
    return {
      url,
      drop: async () => rmSync(join(url.slice('sqlite:'.length), '..'), { recursive: true, force: true }),
    };
  }
  const url = await createPostgresDatabase();
  return { url, drop: () => dropPostgresDatabase(url) };
}

function sqliteUrl(): string {
  return `sqlite:${join(mkdtempSync(join(tmpdir(), 'tessera-db-')), 'test.sqlite')}`;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is needed for the store tests and is not reachable at ${POSTGRES_ADMIN_URL} (${(error as Error).message}); set TESSERA_TEST_POSTGRES_URL`,
      { cause: error },
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function createPostgresDatabase(): Promise<string> {
  const name = `tessera_t_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`create database ${name}`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropPostgresDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  await withAdmin((client) => client.query(`drop database if exists ${name} with (force)`));
}
