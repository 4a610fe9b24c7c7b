import { randomBytes } from 'node:crypto';
import type { Actor } from '../../src/audit/audit-log.ts';
import { Digester } from '../../src/crypto/secrets.ts';
import { TesseraError } from '../../src/errors/tessera-error.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { openDatabase, type Db, type Engine } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrations/index.ts';
import type { User } from '../../src/store/schema.ts';
import { AccessTokenCache } from '../../src/tokens/access/access-token-cache.ts';
import { accessTokenDeps, type AccessTokenDeps } from '../../src/tokens/access/access-token-deps.ts';
import {
  createPersonalAccessToken,
  issuePersonalAccessToken,
} from '../../src/tokens/access/personal-access-token.service.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { createEmptyDatabaseUrl } from '../support/databases.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';

/** Noon on 1 March 2026: every expiry in these tests is a date relative to it. */
export const START = '2026-03-01T12:00:00.000Z';

export interface TokenWorld {
  db: Db;
  clock: ManualClock;
  deps: AccessTokenDeps;
  destroy(): Promise<void>;
}

/** A migrated store on `engine` and the access token services over it, with a frozen clock. */
export async function tokenWorld(engine: Engine): Promise<TokenWorld> {
  const database = await createEmptyDatabaseUrl(engine);
  const db = openDatabase(database.url);
  await migrateToLatest(db);
  const clock = new ManualClock(START);
  const deps: AccessTokenDeps = {
    db,
    clock,
    digester: new Digester(randomBytes(32)),
    metrics: new Metrics(),
    cache: new AccessTokenCache(clock),
    policy: {
      tokenPrefix: '',
      maxLifetimeDays: 365,
      impersonationEnabled: true,
      externalUrl: 'https://tessera.example',
    },
  };
  return {
    db,
    clock,
    deps,
    async destroy() {
      await db.destroy();
      // pg's pool resolves end() before its sockets have closed, and its pool has no 'error' listener:
      // dropping the database WITH (FORCE) at once can kill a closing client and crash the run.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await database.drop();
    },
  };
}

/** A personal access token for `user`, straight through the service; its secret is remembered for the leak check. */
export async function givePat(
  deps: AccessTokenDeps,
  user: User,
  scopes: string[] = ['api'],
  expiresAt?: string,
): Promise<{ id: number; plaintext: string }> {
  const issued = await issuePersonalAccessToken(deps, {
    user,
    name: `token-${randomBytes(3).toString('hex')}`,
    scopes,
    ...(expiresAt ? { expiresAt } : {}),
  });
  rememberSecret(issued.plaintext);
  return { id: issued.token.id, plaintext: issued.plaintext };
}

/** A user acting from a fixed documentation address. */
export const actorOf = (user: User): Actor => ({ userId: user.id, name: user.username, ip: '192.0.2.1' });

/** A token `owner` creates for themselves through the service (name `ci`, api + read_user, 1 June). */
export async function createOwnPat(
  world: TokenWorld,
  owner: User,
  fields: { scopes?: string[]; expiresAt?: string; name?: string } = {},
) {
  const issued = await createPersonalAccessToken(world.deps, actorOf(owner), owner, owner.id, {
    name: fields.name ?? 'ci',
    scopes: fields.scopes ?? ['api', 'read_user'],
    expiresAt: fields.expiresAt ?? '2026-06-01',
  });
  rememberSecret(issued.plaintext);
  return issued;
}

/** The TesseraError a call is refused with (fails the test when it succeeds or throws anything else). */
export async function refusal(promise: Promise<unknown>): Promise<TesseraError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TesseraError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

/** The instance's own services (same digest key and cache as its HTTP server). */
export const depsOf = (instance: TestInstance): AccessTokenDeps => accessTokenDeps(instance.context);

/** Rows in the tables a token request could change: a refused request must leave them all as they were. */
export async function storeCounts(db: Db): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ['access_tokens', 'audit_events', 'users', 'members'] as const) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  const revoked = await db
    .selectFrom('access_tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('revoked', '=', 1)
    .executeTakeFirstOrThrow();
  counts.revoked = Number(revoked.n);
  return counts;
}

/** A parsed JSON answer: tests read its fields freely and assert on them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** `fetch` against the instance with a JSON body, answering status, headers and parsed body. */
export async function call(
  instance: TestInstance,
  method: string,
  path: string,
  options: { token?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; headers: Headers; body: Json }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['private-token'] = options.token;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${instance.url}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}
