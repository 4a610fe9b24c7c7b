import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/database.ts';
import { createEmptyDatabaseUrl } from '../support/databases.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import {
  startCloudInstance,
  startTestAuthority,
  userWithToken,
  type TestAuthority,
} from './support/cloud-world.ts';
import { request } from './support/http.ts';

/** Replica ids named by the `cloud_connector.instance_token_synced` events so far (on-demand syncs name none). */
async function scheduledSyncReplicas(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom('audit_events')
    .select('details')
    .where('action', '=', 'cloud_connector.instance_token_synced')
    .orderBy('id')
    .execute();
  return rows
    .map((row) => (JSON.parse(row.details ?? '{}') as { replica?: string }).replica)
    .filter((replica): replica is string => replica !== undefined);
}

/*
 * Two instance replicas on one store (a SQLite file): only the housekeeper syncs the instance token
 * on schedule, and the sync's audit event names it; when it stops, the other one syncs.
 */
describe('the Cloud Connector sync runs on the housekeeper only', () => {
  let authority: TestAuthority;
  let database: { url: string; drop(): Promise<void> };
  let a: TestInstance;
  let b: TestInstance;
  const stopped = new Set<TestInstance>();

  beforeAll(async () => {
    authority = await startTestAuthority();
    database = await createEmptyDatabaseUrl('sqlite');
    const shared = {
      TESSERA_DATABASE_URL: database.url,
      TESSERA_EXTERNAL_URL: `https://sync-${randomBytes(4).toString('hex')}.example`,
      TESSERA_DIGEST_SECRET: rememberSecret(randomBytes(32).toString('base64url')),
      TESSERA_KEY_ENCRYPTION_KEY: rememberSecret(randomBytes(32).toString('base64url')),
      TESSERA_HOUSEKEEPER_INTERVAL_MS: '500',
      // A sync every second, so that scheduled ones follow the activation's at once.
      TESSERA_CLOUD_CONNECTOR_SYNC_INTERVAL: '1',
    };
    // One after the other: the first migrates the shared file.
    a = await startCloudInstance({
      authorityUrl: authority.url,
      name: 'sync-a',
      env: { ...shared, TESSERA_REPLICA_ID: 'sync-a' },
    });
    b = await startCloudInstance({
      authorityUrl: authority.url,
      name: 'sync-b',
      env: { ...shared, TESSERA_REPLICA_ID: 'sync-b' },
    });
  });
  afterAll(async () => {
    for (const replica of [a, b]) if (replica && !stopped.has(replica)) await replica.stop();
    await authority?.stop();
    await database?.drop();
  });

  it('the housekeeper syncs as itself; once it stops, the other replica does', async () => {
    // Both replicas share this process's event loop: one starting may delay the other's renewal past
    // its lease, so which one ends up housekeeper is not fixed.
    await expect
      .poll(() => [a, b].filter((replica) => replica.housekeeper.isHousekeeper).length, { timeout: 10_000 })
      .toBe(1);
    const [holder, other] = a.housekeeper.isHousekeeper ? [a, b] : [b, a];
    const admin = await userWithToken(a, { admin: true });
    const license = await authority.createLicense([{ name: 'duo_pro', seats: 1 }]);
    // Activated through the replica that is not the housekeeper: on-demand syncs run anywhere.
    const activated = await request('POST', `${other.url}/api/v4/admin/cloud_connector/activate`, {
      token: admin.token,
      body: { activation_code: license.code },
    });
    expect(activated.status).toBe(201);

    const db = other.context.db;
    await expect
      .poll(() => scheduledSyncReplicas(db), { timeout: 20_000 })
      .toContain(holder.settings.replicaId);
    expect(await scheduledSyncReplicas(db)).not.toContain(other.settings.replicaId);

    await holder.stop();
    stopped.add(holder);
    await expect.poll(() => other.housekeeper.isHousekeeper, { timeout: 5_000 }).toBe(true);
    await expect
      .poll(() => scheduledSyncReplicas(db), { timeout: 20_000 })
      .toContain(other.settings.replicaId);
  });
});
