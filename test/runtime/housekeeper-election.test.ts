import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/audit/audit-log.ts';
import { HousekeeperElection, housekeeperElection } from '../../src/runtime/housekeeper-election.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { openDatabase, type Db } from '../../src/store/database.ts';
import { openHousekeeperLock } from '../../src/store/housekeeper-lock.ts';
import {
  claimHousekeepingLease,
  findHousekeepingLease,
  LEASE_INTERVALS,
} from '../../src/store/housekeeping-lease.repository.ts';
import { migrateToLatest } from '../../src/store/migrations/index.ts';
import { createEmptyDatabaseUrl, POSTGRES_ADMIN_URL } from '../support/databases.ts';

/** Short, so that a takeover takes a fraction of a second; the production default is 5000. */
const INTERVAL_MS = 250;

/** What a logger was told, line by line, with the fields it got. */
type Line = { level: string; msg: string; fields: Record<string, unknown> };

function recordingLogger(lines: Line[]): Logger {
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, msg: string): void => {
      lines.push({ level, msg, fields });
    };
  return { info: at('info'), warn: at('warn'), error: at('error') } as unknown as Logger;
}

/** One replica's view: its election, the duties it ran, and its log. */
interface Replica {
  id: string;
  election: HousekeeperElection;
  /** Actors the duties were started with, and how often they were stopped. */
  started: Actor[];
  stops: number;
  lines: Line[];
  metrics: Metrics;
}

function replica(id: string, db: Db, databaseUrl: string): Replica {
  const lines: Line[] = [];
  const metrics = new Metrics();
  const made: Replica = { id, started: [], stops: 0, lines, metrics } as unknown as Replica;
  made.election = housekeeperElection({
    settings: { databaseUrl, replicaId: id, housekeeperIntervalMs: INTERVAL_MS },
    db,
    name: 'instance',
    logger: recordingLogger(lines),
    metrics,
    duties: {
      start: (actor) => void made.started.push(actor),
      stop: async () => void made.stops++,
    },
  });
  return made;
}

/** Polls until exactly one of `replicas` is housekeeper and returns it, with the milliseconds it took. */
async function housekeeperAmong(replicas: Replica[], limitMs: number): Promise<{ one: Replica; ms: number }> {
  const since = Date.now();
  let holders: Replica[] = [];
  await expect
    .poll(
      () => {
        holders = replicas.filter((r) => r.election.isHousekeeper);
        return holders.length;
      },
      { timeout: limitMs, interval: 10 },
    )
    .toBe(1);
  return { one: holders[0]!, ms: Date.now() - since };
}

/** The `tessera_housekeeper` gauge a replica exposes on /metrics. */
const gauge = async (r: Replica) => (await r.metrics.housekeeper.get()).values[0]?.value;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the SQLite lease', () => {
  let dir: string;
  let url: string;
  const dbs: Db[] = [];

  /** Another connection to the same file: what a second process on the machine would open. */
  const connection = () => {
    const db = openDatabase(url);
    dbs.push(db);
    return db;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-lease-'));
    url = `sqlite:${join(dir, 'lease.sqlite')}`;
    await migrateToLatest(connection());
  });
  afterAll(async () => {
    for (const db of dbs) await db.destroy().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it('is taken by one claimant, renewed only by its holder, and free for anyone once it expired', async () => {
    const [a, b] = [connection(), connection()];
    const now = new Date();
    const until = new Date(now.getTime() + 60_000);
    const claim = (db: Db, token: string, at: Date, expiresAt: Date) =>
      claimHousekeepingLease(db, { name: 'race', holder: `holder-${token}`, token, now: at, expiresAt });

    // Two claimants race for the fresh lease: exactly one conditional update changes the row.
    const results = await Promise.all([claim(a, 'ta', now, until), claim(b, 'tb', now, until)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const [winner, loser] = results[0] ? (['ta', 'tb'] as const) : (['tb', 'ta'] as const);
    expect(await claim(a, winner, now, until)).toBe(true);
    expect(await claim(b, loser, now, until)).toBe(false);
    expect((await findHousekeepingLease(a, 'race'))?.holder).toBe(`holder-${winner}`);

    // Past its expiry the loser takes it, and the old holder's renewal then fails.
    const later = new Date(until.getTime() + 1);
    const laterUntil = new Date(later.getTime() + 60_000);
    expect(await claim(b, loser, later, laterUntil)).toBe(true);
    expect(await claim(a, winner, later, laterUntil)).toBe(false);
    expect((await findHousekeepingLease(a, 'race'))?.holder).toBe(`holder-${loser}`);
  });

  it('two connections on one file (two processes): one housekeeper; when it stops, the other takes over within one interval', async () => {
    const replicas = [replica('sqlite-a', connection(), url), replica('sqlite-b', connection(), url)];
    await Promise.all(replicas.map((r) => r.election.start()));
    try {
      const { one: first } = await housekeeperAmong(replicas, INTERVAL_MS * 4);
      expect(first.started).toEqual([{ userId: null, name: 'tessera', ip: null, replicaId: first.id }]);
      expect(first.lines.find((l) => l.msg === 'housekeeper elected')?.fields).toEqual({
        replica: first.id,
        via: 'lease',
      });
      // A few renewals later it still is, and the other never was.
      await sleep(INTERVAL_MS * 3);
      const other = replicas.find((r) => r !== first)!;
      expect(first.election.isHousekeeper).toBe(true);
      expect(other.started).toEqual([]);
      expect([await gauge(first), await gauge(other)]).toEqual([1, 0]);

      // A graceful stop releases the lease: no need to wait for it to expire.
      await first.election.stop();
      expect(first.stops).toBe(1);
      expect(await gauge(first)).toBe(0);
      const { one: second, ms } = await housekeeperAmong(replicas, INTERVAL_MS * 4);
      expect(second).toBe(other);
      expect(ms).toBeLessThanOrEqual(INTERVAL_MS * 2);
    } finally {
      for (const r of replicas) await r.election.stop();
    }
  });

  it(`a holder that cannot reach the file stops at once; the other takes over once its lease expired (${LEASE_INTERVALS} intervals)`, async () => {
    const dying = connection();
    const replicas = [replica('sqlite-c', dying, url), replica('sqlite-d', connection(), url)];
    // c first, so that it is the one to lose its store.
    await replicas[0]!.election.start();
    await replicas[1]!.election.start();
    try {
      const { one: first } = await housekeeperAmong(replicas, INTERVAL_MS * 4);
      expect(first.id).toBe('sqlite-c');
      // Its store goes away (as for a process that hangs): it keeps no lease it cannot renew.
      await dying.destroy();
      const lostAt = Date.now();
      await expect.poll(() => first.election.isHousekeeper, { interval: 10 }).toBe(false);
      expect(first.stops).toBe(1);
      expect(first.lines.find((l) => l.msg === 'housekeeper lost')?.fields).toEqual({
        replica: 'sqlite-c',
        reason: 'the store did not answer',
      });
      const { one: second } = await housekeeperAmong(replicas, INTERVAL_MS * (LEASE_INTERVALS + 4));
      expect(second.id).toBe('sqlite-d');
      // Not before the dead holder's lease ran out.
      expect(Date.now() - lostAt).toBeGreaterThanOrEqual(INTERVAL_MS);
    } finally {
      for (const r of replicas) await r.election.stop();
    }
  });
});

describe('the PostgreSQL advisory lock', () => {
  let database: { url: string; drop(): Promise<void> };
  let db: Db;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    database = await createEmptyDatabaseUrl('postgres');
    db = openDatabase(database.url);
    await migrateToLatest(db);
  });
  afterEach(async () => {
    for (const r of replicas.splice(0)) await r.election.stop();
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  /** The session holding the housekeeper lock, as an operator would look it up. */
  async function lockHolder(): Promise<{ pid: number; application_name: string } | undefined> {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ pid: number; application_name: string }>(
        `select a.pid, a.application_name from pg_locks l join pg_stat_activity a on a.pid = l.pid
          where l.locktype = 'advisory' and l.granted and a.application_name like 'tessera housekeeper %'`,
      );
      expect(rows.length).toBeLessThanOrEqual(1);
      return rows[0];
    } finally {
      await client.end();
    }
  }

  it('elects one of three; the session that holds the lock names it', async () => {
    replicas.push(...['pg-a', 'pg-b', 'pg-c'].map((id) => replica(id, db, database.url)));
    await Promise.all(replicas.map((r) => r.election.start()));
    const { one } = await housekeeperAmong(replicas, INTERVAL_MS * 4);
    expect((await lockHolder())?.application_name).toBe(`tessera housekeeper ${one.id}`);
    expect(one.lines.find((l) => l.msg === 'housekeeper elected')?.fields).toEqual({
      replica: one.id,
      via: 'advisory lock',
    });
    await sleep(INTERVAL_MS * 3);
    expect(replicas.filter((r) => r.started.length > 0)).toEqual([one]);
  });

  it('a holder whose connection is cut stops at once, and another replica takes the lock', async () => {
    replicas.push(...['pg-d', 'pg-e'].map((id) => replica(id, db, database.url)));
    await Promise.all(replicas.map((r) => r.election.start()));
    const { one: first } = await housekeeperAmong(replicas, INTERVAL_MS * 4);
    const holder = await lockHolder();
    // What a database restart or an administrator does to the session; the replica itself lives on.
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query('select pg_terminate_backend($1)', [holder!.pid]);
    } finally {
      await admin.end();
    }
    await expect.poll(() => first.stops, { interval: 10, timeout: INTERVAL_MS * 4 }).toBe(1);
    expect(first.lines.find((l) => l.msg === 'housekeeper lost')?.fields.replica).toBe(first.id);
    // Someone holds it again within about one interval: the other replica, or the first one reconnected.
    const { one: next } = await housekeeperAmong(replicas, INTERVAL_MS * 4);
    expect((await lockHolder())?.application_name).toBe(`tessera housekeeper ${next.id}`);
  });

  it('a lock opened on a store that does not answer elects nobody and says why', async () => {
    const lines: Line[] = [];
    const lock = openHousekeeperLock({
      db,
      databaseUrl: 'postgres://nobody@127.0.0.1:1/none',
      name: 'instance',
      holder: 'pg-nowhere',
      intervalMs: INTERVAL_MS,
    });
    const election = new HousekeeperElection(lock, {
      replicaId: 'pg-nowhere',
      intervalMs: INTERVAL_MS,
      logger: recordingLogger(lines),
      duties: { start: () => expect.unreachable('elected without a store'), stop: async () => {} },
    });
    await election.start();
    await election.stop();
    expect(election.isHousekeeper).toBe(false);
    expect(lines.map((l) => l.msg)).toContain('housekeeper election failed');
  });
});
