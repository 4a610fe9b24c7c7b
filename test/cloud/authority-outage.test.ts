import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAiGateway } from '../../src/runtime/start-ai-gateway.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import {
  eventually,
  startCloudInstance,
  startTestAuthority,
  startTestGateway,
  storedInstanceToken,
  userWithToken,
  type TestAuthority,
} from './support/cloud-world.ts';
import { request } from './support/http.ts';

/*
 * Acceptance 6: with the license authority down, the gateway keeps accepting valid tokens from its
 * cached keys, and the instance keeps serving AI tokens with the instance token it holds while its
 * sync fails and backs off — then recovers when the authority returns.
 */
describe('the license authority is down', () => {
  let authority: TestAuthority;
  let instance: TestInstance;
  let gateway: RunningAiGateway;
  let admin: { token: string };
  let alice: { user: { id: number }; token: string };

  const sync = async () =>
    (await request('POST', `${instance.url}/api/v4/admin/cloud_connector/sync`, { token: admin.token })).body;
  const exchange = (instanceToken: string) =>
    request('POST', `${gateway.url}/v1/code/user_access_token`, {
      bearer: instanceToken,
      headers: { 'X-Gitlab-Global-User-Id': 'user-1' },
    });

  beforeAll(async () => {
    authority = await startTestAuthority();
    instance = await startCloudInstance({ authorityUrl: authority.url });
    gateway = await startTestGateway([instance.url, authority.url]);
    admin = await userWithToken(instance, { admin: true });
    alice = await userWithToken(instance, { scopes: ['ai_features'] });
    const license = await authority.createLicense([{ name: 'duo_pro', seats: 3 }]);
    await request('POST', `${instance.url}/api/v4/admin/cloud_connector/activate`, {
      token: admin.token,
      body: { activation_code: license.code },
    });
    await request('POST', `${instance.url}/api/v4/admin/add_ons/duo_pro/seats/${alice.user.id}`, {
      token: admin.token,
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await instance?.stop();
    await authority?.stop();
  });

  it('the gateway verifies a token it never saw with keys cached before the outage', async () => {
    const first = await storedInstanceToken(instance);
    const warm = await exchange(first);
    expect(warm.status).toBe(200); // the gateway fetched the authority's keys now
    rememberSecret(warm.body.token);
    expect((await sync()).sync.last_error).toBeNull();
    const second = await storedInstanceToken(instance);
    expect(second).not.toBe(first);

    await authority.running.close();
    const offline = await exchange(second);
    expect(offline.status).toBe(200);
    rememberSecret(offline.body.token);
  });

  it('the instance records the failed sync and keeps issuing AI tokens with the token it holds', async () => {
    const failed = await sync();
    expect(failed.sync.last_error).toMatch(/^the license authority is unreachable \(/);
    expect(failed.sync.consecutive_failures).toBeGreaterThanOrEqual(1);
    expect(failed.instance_token.expired).toBe(false);
    const access = await request('POST', `${instance.url}/api/v4/code_suggestions/direct_access`, {
      token: alice.token,
    });
    expect(access.status).toBe(201);
    rememberSecret(access.body.token);
    const health = await fetch(`${instance.url}/-/health`);
    expect(health.status).toBe(200);
  });

  it('the background sync recovers on its own once the authority is back', async () => {
    const before = await storedInstanceToken(instance);
    await authority.restart();
    // Nobody asks for a sync: the scheduler's backoff retry finds the authority again.
    const recovered = await eventually(async () => {
      const current = (
        await request('GET', `${instance.url}/api/v4/admin/cloud_connector/status`, { token: admin.token })
      ).body;
      return current.sync.consecutive_failures === 0 ? current : undefined;
    }, 30);
    expect(recovered.sync.last_error).toBeNull();
    expect(recovered.sync.next_attempt_at > recovered.sync.last_success_at).toBe(true);
    expect(await storedInstanceToken(instance)).not.toBe(before);
  });
});
