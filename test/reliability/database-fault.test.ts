import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { createUser } from '../support/world.ts';
import { depsOf, givePat } from '../tokens/token-fixtures.ts';
import { sleep } from './support/load.ts';
import { startPostgresCluster, type PostgresCluster } from './support/postgres-cluster.ts';

const OUTAGE_MS = 5_000;
const WORKERS = 4;
/** After PostgreSQL is back, how long the pool may take to reconnect before a 503 counts as wrong. */
const RECOVERY_GRACE_MS = 2_000;

interface Answer {
  at: number;
  status: number;
  body: string;
}

/**
 * The instance's own PostgreSQL is stopped (`-m immediate`) for 5 s under a load of token creations
 * and revocations: 503 during the outage and only then, recovery without a restart, and every write
 * the client saw acknowledged is in the table afterwards.
 */
describe('a database outage under load', () => {
  let cluster: PostgresCluster;
  let instance: TestInstance;
  let creator: string;

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    instance = await startTestInstance({
      name: 'database-fault',
      env: { TESSERA_DATABASE_URL: cluster.url, TESSERA_LOG_LEVEL: 'warn' },
    });
    const user = await createUser(instance.context.db, { username: 'outage' });
    creator = (await givePat(depsOf(instance), user, ['api'])).plaintext;
  });
  afterAll(async () => {
    await instance?.stop();
    await cluster?.destroy();
  });

  it('answers 503 only while PostgreSQL is down, recovers by itself and loses no acknowledged write', async () => {
    const answers: Answer[] = [];
    const created: Array<{ id: number; token: string }> = [];
    const revoked = new Set<number>();
    let running = true;
    const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const send = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${instance.url}${path}`, {
        method,
        headers: { 'private-token': creator, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await response.text();
      answers.push({ at: Date.now(), status: response.status, body: text });
      return { status: response.status, json: text ? JSON.parse(text) : null };
    };
    const worker = async (index: number) => {
      for (let round = 0; running; round++) {
        const made = await send('POST', '/api/v4/user/personal_access_tokens', {
          name: `outage-${index}-${round}`,
          scopes: ['read_user'],
          expires_at: expiresAt,
        });
        if (made.status === 201) created.push({ id: made.json.id, token: rememberSecret(made.json.token) });
        const victim = created[Math.floor(created.length / 2)];
        if (round % 3 === 2 && victim && !revoked.has(victim.id)) {
          const gone = await send('DELETE', `/api/v4/personal_access_tokens/${victim.id}`);
          if (gone.status === 204) revoked.add(victim.id);
        }
        await sleep(10);
      }
    };
    const workers = Array.from({ length: WORKERS }, (_, i) => worker(i));

    await sleep(2_000);
    const downAt = Date.now();
    await cluster.stop();
    await sleep(OUTAGE_MS / 2);
    const readinessDown = await fetch(`${instance.url}/-/readiness`);
    await sleep(OUTAGE_MS / 2);
    await cluster.start();
    const upAt = Date.now();
    await sleep(3_000);
    running = false;
    await Promise.all(workers);

    expect(readinessDown.status).toBe(503);
    expect((await fetch(`${instance.url}/-/readiness`)).status).toBe(200);

    const unexpected = answers.filter((a) => ![200, 201, 204, 503].includes(a.status));
    expect(unexpected.map((a) => `${a.status} ${a.body.slice(0, 80)}`)).toEqual([]);
    const outOfOutage = answers.filter(
      (a) => a.status === 503 && (a.at < downAt || a.at > upAt + RECOVERY_GRACE_MS),
    );
    expect(outOfOutage.map((a) => new Date(a.at).toISOString())).toEqual([]);
    const during = answers.filter((a) => a.status === 503);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((a) => a.body === '{"message":"503 Service Unavailable"}')).toBe(true);
    const recovered = answers.filter((a) => a.at > upAt + RECOVERY_GRACE_MS && a.status === 201);
    expect(recovered.length).toBeGreaterThan(0);

    // Every acknowledged write is in the table, read straight from the database.
    const client = new pg.Client({ connectionString: cluster.url });
    await client.connect();
    try {
      const ids = created.map((c) => c.id);
      const rows = await client.query<{ id: number; revoked: number }>(
        'select id, revoked from access_tokens where id = any($1::int[])',
        [ids],
      );
      expect(rows.rowCount).toBe(ids.length);
      // A revocation whose answer was lost in the outage may be in the table too: a superset is right.
      const revokedInTable = new Set(
        rows.rows.filter((row) => Number(row.revoked) === 1).map((row) => row.id),
      );
      expect([...revoked].filter((id) => !revokedInTable.has(id))).toEqual([]);
      expect(revoked.size).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
    const live = created.filter((c) => !revoked.has(c.id)).slice(-20);
    for (const { token } of live) {
      expect(
        (await fetch(`${instance.url}/api/v4/user`, { headers: { 'private-token': token } })).status,
      ).toBe(200);
    }
  });
});
