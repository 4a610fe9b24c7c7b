import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAiGateway } from '../../src/runtime/start-ai-gateway.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import {
  startCloudInstance,
  startTestGateway,
  storedInstanceToken,
  userWithToken,
} from './support/cloud-world.ts';
import { completeWith, request } from './support/http.ts';

/*
 * Acceptance 7, seed 002's option 1: a self-managed instance in `service_account` mode stores the token
 * of a service account on the SaaS instance and obtains its instance token from the SaaS API with it.
 */
describe('cloud_connector.mode = service_account', () => {
  let saas: TestInstance;
  let selfManaged: TestInstance;
  let gateway: RunningAiGateway;
  let saasAdmin: { token: string };
  let serviceAccount: { user: { id: number }; token: string };
  let admin: { token: string };

  const status = async () =>
    (await request('GET', `${selfManaged.url}/api/v4/admin/cloud_connector/status`, { token: admin.token }))
      .body;

  beforeAll(async () => {
    saas = await startCloudInstance({ name: 'saas', env: { TESSERA_REALM: 'saas' } });
    selfManaged = await startCloudInstance({
      name: 'self-managed-sa',
      env: { TESSERA_CLOUD_CONNECTOR_MODE: 'service_account', TESSERA_CLOUD_CONNECTOR_SAAS_URL: saas.url },
    });
    gateway = await startTestGateway([saas.url, selfManaged.url]);
    saasAdmin = await userWithToken(saas, { admin: true });
    serviceAccount = await userWithToken(saas, { botKind: 'service_account', scopes: ['ai_features'] });
    admin = await userWithToken(selfManaged, { admin: true });
  });
  afterAll(async () => {
    await gateway?.close();
    await selfManaged?.stop();
    await saas?.stop();
  });

  it('does nothing until the service account token is stored', async () => {
    expect(await status()).toMatchObject({
      mode: 'service_account',
      source: saas.url,
      service_account_token_stored: false,
      instance_token: null,
    });
  });

  it('reports the SaaS refusal while the service account holds no seat there', async () => {
    const stored = await request(
      'PUT',
      `${selfManaged.url}/api/v4/admin/cloud_connector/service_account_token`,
      {
        token: admin.token,
        body: { token: serviceAccount.token },
      },
    );
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ service_account_token_stored: true, instance_token: null });
    expect(stored.body.sync.last_error).toBe(
      'the SaaS instance answered 403: 403 Forbidden - the service account holds no seat of an AI add-on',
    );
  });

  it('obtains an instance token from the SaaS instance once the service account is seated there', async () => {
    const seat = await request(
      'POST',
      `${saas.url}/api/v4/admin/add_ons/duo_enterprise/seats/${serviceAccount.user.id}`,
      {
        token: saasAdmin.token,
      },
    );
    expect(seat.status).toBe(201);
    const synced = await request('POST', `${selfManaged.url}/api/v4/admin/cloud_connector/sync`, {
      token: admin.token,
    });
    expect(synced.body.sync.last_error).toBeNull();
    expect(synced.body.instance_token).toMatchObject({ issuer: saas.url, expired: false });
    const claims = decodeJwt(await storedInstanceToken(selfManaged));
    expect(claims).toMatchObject({
      iss: saas.url,
      sub: synced.body.instance_id,
      gitlab_realm: 'self-managed',
    });
    expect(claims.exp! - claims.iat!).toBe(3600);
  });

  it("a seated user's direct_access token is accepted by a gateway that trusts both instances", async () => {
    const alice = await userWithToken(selfManaged, { scopes: ['api'] });
    const seat = await request(
      'POST',
      `${selfManaged.url}/api/v4/admin/add_ons/duo_pro/seats/${alice.user.id}`,
      {
        token: admin.token,
      },
    );
    expect(seat.status).toBe(201);
    const access = await request('POST', `${selfManaged.url}/api/v4/code_suggestions/direct_access`, {
      token: alice.token,
    });
    expect(access.status).toBe(201);
    rememberSecret(access.body.token);
    expect((await completeWith({ ...access.body, base_url: gateway.url })).status).toBe(200);
  });

  it('the SaaS endpoint refuses a token that is not a service account, and exists only on SaaS', async () => {
    const person = await userWithToken(saas, { scopes: ['api'] });
    const refused = await request('POST', `${saas.url}/api/v4/cloud_connector/instance_token`, {
      token: person.token,
      body: { instance_id: '3f0c2b6e-8d1a-4c55-9a51-0c6f3e1d2b7a' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({
      message: '403 Forbidden - only a service account may obtain an instance token',
    });
    const elsewhere = await request('POST', `${selfManaged.url}/api/v4/cloud_connector/instance_token`, {
      token: admin.token,
      body: { instance_id: '3f0c2b6e-8d1a-4c55-9a51-0c6f3e1d2b7a' },
    });
    expect(elsewhere.status).toBe(404);
  });
});
