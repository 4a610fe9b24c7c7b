import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deleteOAuthApplication,
  findOAuthApplicationByUid,
  insertOAuthApplication,
  listOAuthApplications,
} from '../../src/store/oauth-applications.repository.ts';
import {
  findOAuthDeviceCodeByUserCodeDigest,
  insertOAuthDeviceCode,
  transitionOAuthDeviceCode,
} from '../../src/store/oauth-device-codes.repository.ts';
import {
  countLiveOAuthTokensOfApplication,
  findOAuthGrantsByWorkflow,
  findOAuthTokenByDigest,
  findOAuthTokenByRefreshDigest,
  insertOAuthAuthorizationCode,
  insertOAuthGrant,
  insertOAuthToken,
  markOAuthAuthorizationCodeUsed,
  revokeOAuthGrant,
  spendOAuthRefreshToken,
} from '../../src/store/oauth-grants.repository.ts';
import type { OAuthApplication } from '../../src/store/oauth.tables.ts';
import type { User } from '../../src/store/schema.ts';
import {
  insertServiceAccount,
  listServiceAccountUsers,
} from '../../src/store/service-accounts.repository.ts';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.ts';
import { createUser } from '../support/world.ts';

const T0 = '2026-03-01T12:00:00.000Z';
const LATER = '2026-03-01T14:00:00.000Z';

describe.each(ENGINES)('OAuth store on %s', (engine) => {
  let database: TestDatabase;
  let user: User;
  let app: OAuthApplication;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    user = await createUser(database.db);
    app = await insertOAuthApplication(database.db, {
      uid: `uid-${engine}`,
      name: 'App',
      secret_digest: `secret-${engine}`,
      redirect_uris: '["http://127.0.0.1/cb"]',
      scopes: '["api"]',
      confidential: 1,
      trusted: 0,
      dynamic_user_scope: 0,
      owner_id: null,
      created_at: T0,
    });
  });
  afterAll(async () => {
    await database.destroy();
  });

  const grant = (workflowId: string | null = null) =>
    insertOAuthGrant(database.db, {
      application_id: app.id,
      user_id: user.id,
      scopes: '["api"]',
      flow: 'authorization_code',
      workflow_id: workflowId,
      auth_time: T0,
      created_at: T0,
      revoked_at: null,
      revoked_reason: null,
    });
  let serial = 0;
  const pair = (grantId: number, refresh = true) => {
    serial++;
    return insertOAuthToken(database.db, {
      grant_id: grantId,
      digest: `a-${engine}-${serial}`,
      refresh_digest: refresh ? `r-${engine}-${serial}` : null,
      scopes: '["api"]',
      created_at: T0,
      expires_at: LATER,
      revoked_at: null,
      refreshed_at: null,
      previous_token_id: null,
    });
  };

  it("finds applications by client id and lists instance-wide ones apart from users' own", async () => {
    expect((await findOAuthApplicationByUid(database.db, `uid-${engine}`))?.id).toBe(app.id);
    expect(
      (await listOAuthApplications(database.db, null, { limit: 10, offset: 0 })).map((a) => a.id),
    ).toEqual([app.id]);
    expect(await listOAuthApplications(database.db, user.id, { limit: 10, offset: 0 })).toEqual([]);
  });

  it('lets only one request spend an authorization code or a refresh token', async () => {
    const g = await grant();
    const code = await insertOAuthAuthorizationCode(database.db, {
      grant_id: g.id,
      digest: `code-${engine}`,
      redirect_uri: 'http://127.0.0.1/cb',
      code_challenge: null,
      code_challenge_method: null,
      nonce: null,
      created_at: T0,
      expires_at: LATER,
      used_at: null,
    });
    expect(await markOAuthAuthorizationCodeUsed(database.db, code.id, T0)).toBe(true);
    expect(await markOAuthAuthorizationCodeUsed(database.db, code.id, T0)).toBe(false);

    const token = await pair(g.id);
    expect(await spendOAuthRefreshToken(database.db, token.id, T0)).toBe(true);
    expect(await spendOAuthRefreshToken(database.db, token.id, T0)).toBe(false);
    const spent = await findOAuthTokenByRefreshDigest(database.db, token.refresh_digest!);
    expect(spent?.token).toMatchObject({ refreshed_at: T0, revoked_at: T0 });
  });

  it('revokes a grant with every token in it, once', async () => {
    const g = await grant('wf-1');
    const [a, b] = [await pair(g.id), await pair(g.id, false)];
    expect(await countLiveOAuthTokensOfApplication(database.db, app.id, T0)).toBeGreaterThanOrEqual(2);
    expect(await revokeOAuthGrant(database.db, g.id, T0, 'workflow_ended')).toBe(true);
    expect(await revokeOAuthGrant(database.db, g.id, LATER, 'revoked')).toBe(false);
    for (const token of [a, b]) {
      const found = await findOAuthTokenByDigest(database.db, token.digest);
      expect(found?.token.revoked_at).toBe(T0);
      expect(found?.grant).toMatchObject({ revoked_at: T0, revoked_reason: 'workflow_ended' });
    }
    expect((await findOAuthGrantsByWorkflow(database.db, 'wf-1')).map((x) => x.id)).toEqual([g.id]);
  });

  it('moves a device authorization out of pending only once', async () => {
    const device = await insertOAuthDeviceCode(database.db, {
      application_id: app.id,
      digest: `device-${engine}`,
      user_code_digest: `user-${engine}`,
      scopes: '["api"]',
      status: 'pending',
      interval_seconds: 5,
      last_polled_at: null,
      user_id: null,
      grant_id: null,
      created_at: T0,
      expires_at: LATER,
    });
    expect(
      await transitionOAuthDeviceCode(database.db, device.id, 'pending', {
        status: 'denied',
        user_id: user.id,
      }),
    ).toBe(true);
    expect(await transitionOAuthDeviceCode(database.db, device.id, 'pending', { status: 'approved' })).toBe(
      false,
    );
    expect((await findOAuthDeviceCodeByUserCodeDigest(database.db, `user-${engine}`))?.status).toBe('denied');
  });

  it("lists service accounts of the instance apart from a group's", async () => {
    const account = await createUser(database.db, { bot_kind: 'service_account' });
    await insertServiceAccount(database.db, {
      user_id: account.id,
      namespace_id: null,
      creator_id: null,
      created_at: T0,
    });
    expect(
      (await listServiceAccountUsers(database.db, null, { limit: 10, offset: 0 })).map((u) => u.id),
    ).toEqual([account.id]);
  });

  it('deletes everything issued under an application with it', async () => {
    const g = await grant();
    const token = await pair(g.id);
    expect(await deleteOAuthApplication(database.db, app.id)).toBe(true);
    expect(await findOAuthTokenByDigest(database.db, token.digest)).toBeUndefined();
  });
});
