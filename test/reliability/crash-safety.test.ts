import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Digester } from '../../src/crypto/secrets.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { openDatabase } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrations/index.ts';
import { AccessTokenCache } from '../../src/tokens/access/access-token-cache.ts';
import { issuePersonalAccessToken } from '../../src/tokens/access/personal-access-token.service.ts';
import { systemClock } from '../../src/util/clock.ts';
import { createEmptyDatabaseUrl } from '../support/databases.ts';
import { freePort } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { createUser } from '../support/world.ts';
import { sleep } from './support/load.ts';
import { spawnInstance, type SpawnedInstance } from './support/spawned-instance.ts';

const CONCURRENCY = 8;
/** How long PAT creations run before the kill: long enough for many acknowledgements. */
const BURST_MS = 2_000;

/**
 * `kill -9` during a burst of token creations: every token whose creation the client saw acknowledged
 * (a 201 with the token) must exist and work after a restart. Unacknowledged ones may or may not.
 */
describe('crash safety of token creation', () => {
  let database: { url: string; drop(): Promise<void> };
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-crash-'));
  let env: Record<string, string>;
  let creator: string;
  let running: SpawnedInstance | undefined;

  beforeAll(async () => {
    database = await createEmptyDatabaseUrl('postgres');
    const digestSecret = rememberSecret(randomBytes(32).toString('base64url'));
    env = {
      TESSERA_DATABASE_URL: database.url,
      TESSERA_DATA_DIR: dataDir,
      TESSERA_DIGEST_SECRET: digestSecret,
      TESSERA_KEY_ENCRYPTION_KEY: rememberSecret(randomBytes(32).toString('base64url')),
      TESSERA_LOG_LEVEL: 'warn',
    };
    // The world the burst needs, written straight into the store the process will open.
    const db = openDatabase(database.url);
    try {
      await migrateToLatest(db);
      const user = await createUser(db, { username: 'crash-tester' });
      const issued = await issuePersonalAccessToken(
        {
          db,
          clock: systemClock,
          digester: new Digester(Buffer.from(digestSecret, 'base64url')),
          metrics: new Metrics(),
          cache: new AccessTokenCache(systemClock),
          policy: {
            tokenPrefix: '',
            maxLifetimeDays: 365,
            impersonationEnabled: true,
            externalUrl: 'http://127.0.0.1',
          },
        },
        { user, name: 'creator', scopes: ['api'] },
      );
      creator = rememberSecret(issued.plaintext);
    } finally {
      await db.destroy();
    }
  });
  afterAll(async () => {
    await running?.stop();
    await sleep(200);
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged token across a kill -9 mid-burst', async () => {
    const port = await freePort();
    running = await spawnInstance(env, { name: 'crash-before', port });
    const acknowledged: string[] = [];
    let refused = 0;
    let stopping = false;
    const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const worker = async () => {
      while (!stopping) {
        try {
          const response = await fetch(`${running!.url}/api/v4/user/personal_access_tokens`, {
            method: 'POST',
            headers: { 'private-token': creator, 'content-type': 'application/json' },
            body: JSON.stringify({ name: 'burst', scopes: ['read_user'], expires_at: expiresAt }),
          });
          const body = (await response.json()) as { token?: string };
          if (response.status === 201 && body.token) acknowledged.push(rememberSecret(body.token));
          else refused += 1;
        } catch {
          return; // the connection died with the process: that creation was never acknowledged
        }
      }
    };
    const workers = Array.from({ length: CONCURRENCY }, worker);
    await sleep(BURST_MS);
    await running.kill9();
    stopping = true;
    await Promise.all(workers);
    expect(refused).toBe(0);
    expect(acknowledged.length).toBeGreaterThan(20);

    running = await spawnInstance(env, { name: 'crash-after', port });
    const failed: number[] = [];
    for (let i = 0; i < acknowledged.length; i += CONCURRENCY) {
      const batch = acknowledged.slice(i, i + CONCURRENCY);
      const statuses = await Promise.all(
        batch.map((token) =>
          fetch(`${running!.url}/api/v4/user`, { headers: { 'private-token': token } }).then((r) => r.status),
        ),
      );
      statuses.forEach((status, index) => status !== 200 && failed.push(i + index));
    }
    expect(failed).toEqual([]);
  });
});
