import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAiGateway } from '../../src/runtime/start-ai-gateway.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import {
  eventually,
  startCloudInstance,
  startTestAuthority,
  startTestGateway,
  userWithToken,
  type TestAuthority,
} from './support/cloud-world.ts';
import { completeWith, request } from './support/http.ts';

/*
 * Acceptance 2: revoking the license at the authority makes the next sync fail; user tokens already
 * issued live until their exp; once the stored instance token expires, no new user token is issued.
 * Instance tokens live 6 s here so the expiry is reached within the test.
 */
describe('a revoked license', () => {
  let authority: TestAuthority;
  let instance: TestInstance;
  let gateway: RunningAiGateway;
  let admin: { token: string };
  let alice: { user: { id: number }; token: string };
  let licenseId: number;

  const status = async () =>
    (await request('GET', `${instance.url}/api/v4/admin/cloud_connector/status`, { token: admin.token }))
      .body;
  const directAccess = () =>
    request('POST', `${instance.url}/api/v4/code_suggestions/direct_access`, { token: alice.token });

  beforeAll(async () => {
    authority = await startTestAuthority({ env: { TESSERA_INSTANCE_TOKEN_LIFETIME: '6' } });
    instance = await startCloudInstance({ authorityUrl: authority.url });
    gateway = await startTestGateway([instance.url, authority.url]);
    admin = await userWithToken(instance, { admin: true });
    alice = await userWithToken(instance, { scopes: ['ai_features'] });
    const license = await authority.createLicense([{ name: 'duo_pro', seats: 5 }]);
    licenseId = license.id;
    const activated = await request('POST', `${instance.url}/api/v4/admin/cloud_connector/activate`, {
      token: admin.token,
      body: { activation_code: license.code },
    });
    expect(activated.status).toBe(201);
    await request('POST', `${instance.url}/api/v4/admin/add_ons/duo_pro/seats/${alice.user.id}`, {
      token: admin.token,
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await instance?.stop();
    await authority?.stop();
  });

  it('fails the next sync with the reason, keeps issued tokens alive until exp, then stops issuing', async () => {
    const before = await directAccess();
    expect(before.status).toBe(201);
    const issued = { ...before.body, base_url: gateway.url };
    rememberSecret(issued.token);

    const revoked = await request('POST', `${authority.url}/api/v1/admin/licenses/${licenseId}/revoke`, {
      bearer: authority.adminToken,
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: licenseId, state: 'revoked', revoked: true });

    const synced = await request('POST', `${instance.url}/api/v4/admin/cloud_connector/sync`, {
      token: admin.token,
    });
    expect(synced.status).toBe(200);
    expect(synced.body.sync).toMatchObject({
      last_error: 'the license authority answered 403: 403 Forbidden - the license has been revoked',
    });
    expect(synced.body.sync.consecutive_failures).toBeGreaterThanOrEqual(1);
    const metrics = await (await fetch(`${instance.url}/metrics`)).text();
    expect(metrics).toMatch(/tessera_cloud_connector_syncs_total\{result="failure"\} [1-9]/);
    expect(metrics).toMatch(/tessera_cloud_connector_sync_consecutive_failures [1-9]/);

    // The token issued before the revocation still opens the gateway.
    expect((await completeWith(issued)).status).toBe(200);

    const expired = await eventually(async () => {
      const current = await status();
      return current.instance_token?.expired ? current : undefined;
    });
    expect(expired.license).toMatchObject({ licensee: 'ACME' });
    expect(expired.sync.last_success_at < expired.sync.last_attempt_at).toBe(true);
    const refused = await directAccess();
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({
      message:
        '403 Forbidden - this instance has no valid Cloud Connector access (license not activated, revoked or expired, or not synchronised)',
    });
    // …while the user token issued an hour's life ago is still good until its own exp.
    expect((await completeWith(issued)).status).toBe(200);
  });
});
