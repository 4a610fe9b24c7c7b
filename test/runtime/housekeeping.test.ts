import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepOnce, type Sweep } from '../../src/runtime/housekeeping.ts';
import type { InstanceContext } from '../../src/runtime/instance-context.ts';
import type { Db } from '../../src/store/database.ts';
import { insertOAuthApplication } from '../../src/store/oauth-applications.repository.ts';
import { insertOAuthDeviceCode } from '../../src/store/oauth-device-codes.repository.ts';
import { insertOAuthAuthorizationCode, insertOAuthGrant } from '../../src/store/oauth-grants.repository.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.ts';
import { createUser } from '../support/world.ts';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const minutesFromNow = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000).toISOString();

/** What a sweep needs of an instance: the store, a frozen clock, settings and a logger that remembers. */
function contextOf(db: Db, lines: string[]): InstanceContext {
  return {
    db,
    clock: new ManualClock(NOW),
    settings: { sessionIdleTimeoutSeconds: 7200, sessionAbsoluteTimeoutSeconds: 604800 },
    logger: {
      info: (_fields: object, line: string) => lines.push(line),
      warn: (_f: object, line: string) => lines.push(line),
    },
  } as unknown as InstanceContext;
}

describe.each(ENGINES)('housekeeping on %s', (engine) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
  });
  afterAll(() => database.destroy());

  it('removes expired OAuth authorization codes and device authorizations, and keeps live ones', async () => {
    const { db } = database;
    const user = await createUser(db);
    const application = await insertOAuthApplication(db, {
      uid: `app-${engine}`,
      name: 'Sweep test',
      secret_digest: 'digest-of-nothing',
      redirect_uris: '["http://127.0.0.1:9/cb"]',
      scopes: '["api"]',
      confidential: 1,
      trusted: 0,
      dynamic_user_scope: 0,
      owner_id: null,
      created_at: NOW.toISOString(),
    });
    const grant = await insertOAuthGrant(db, {
      application_id: application.id,
      user_id: user.id,
      scopes: '["api"]',
      flow: 'authorization_code',
      workflow_id: null,
      auth_time: null,
      created_at: NOW.toISOString(),
      revoked_at: null,
      revoked_reason: null,
    });
    for (const [digest, expiresAt] of [
      ['code-expired', minutesFromNow(-1)],
      ['code-live', minutesFromNow(5)],
    ] as const) {
      await insertOAuthAuthorizationCode(db, {
        grant_id: grant.id,
        digest,
        redirect_uri: 'http://127.0.0.1:9/cb',
        code_challenge: null,
        code_challenge_method: null,
        nonce: null,
        created_at: minutesFromNow(-10),
        expires_at: expiresAt,
        used_at: null,
      });
    }
    for (const [digest, expiresAt] of [
      ['device-expired', minutesFromNow(-1)],
      ['device-live', minutesFromNow(5)],
    ] as const) {
      await insertOAuthDeviceCode(db, {
        application_id: application.id,
        digest,
        user_code_digest: `${digest}-user`,
        scopes: '["api"]',
        status: 'pending',
        interval_seconds: 5,
        last_polled_at: null,
        user_id: null,
        grant_id: null,
        created_at: minutesFromNow(-10),
        expires_at: expiresAt,
      });
    }

    const lines: string[] = [];
    await sweepOnce(contextOf(db, lines));

    const codes = await db.selectFrom('oauth_authorization_codes').select('digest').execute();
    const devices = await db.selectFrom('oauth_device_codes').select('digest').execute();
    expect(codes.map((row) => row.digest)).toEqual(['code-live']);
    expect(devices.map((row) => row.digest)).toEqual(['device-live']);
    expect(lines).toEqual(
      expect.arrayContaining([
        'expired OAuth authorization codes removed',
        'expired OAuth device authorizations removed',
      ]),
    );
  });

  it('goes on with the other sweeps when one fails', async () => {
    const lines: string[] = [];
    const ran: string[] = [];
    const sweeps: Sweep[] = [
      {
        what: 'broken rows',
        run: () => Promise.reject(new Error('store unavailable')),
      },
      {
        what: 'other rows',
        run: async () => {
          ran.push('other');
          return 1;
        },
      },
    ];
    await sweepOnce(contextOf(database.db, lines), sweeps);
    expect(ran).toEqual(['other']);
    expect(lines).toEqual(['sweep of broken rows failed', 'other rows removed']);
  });
});
