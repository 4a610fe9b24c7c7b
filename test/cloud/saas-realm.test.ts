import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAiGateway } from '../../src/runtime/start-ai-gateway.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { startTestIssuer, type TestIssuer } from '../services/support/test-issuer.ts';
import {
  eventually,
  startCloudInstance,
  startTestAuthority,
  startTestGateway,
  storedInstanceToken,
  userWithToken,
  type TestAuthority,
} from './support/cloud-world.ts';
import { COMPLETION, completeWith, request } from './support/http.ts';

/*
 * Acceptance 3: a SaaS-realm instance signs its own instance token; one gateway trusts the SaaS
 * instance and a licensed self-managed instance at once; a token from an issuer it was not told about,
 * or signed by one issuer's key while naming another, is refused.
 */
describe('a SaaS-realm instance next to a licensed self-managed one', () => {
  let authority: TestAuthority;
  let saas: TestInstance;
  let selfManaged: TestInstance;
  let gateway: RunningAiGateway;
  let stranger: TestIssuer;
  const seated = async (instance: TestInstance, addOn: string) => {
    const admin = await userWithToken(instance, { admin: true });
    const user = await userWithToken(instance, { scopes: ['ai_features'] });
    const seat = await request(
      'POST',
      `${instance.url}/api/v4/admin/add_ons/${addOn}/seats/${user.user.id}`,
      {
        token: admin.token,
      },
    );
    expect(seat.status).toBe(201);
    return { admin, user };
  };
  const directAccess = async (instance: TestInstance, token: string) => {
    const answer = await request('POST', `${instance.url}/api/v4/code_suggestions/direct_access`, { token });
    expect(answer.status).toBe(201);
    rememberSecret(answer.body.token);
    return { ...answer.body, base_url: gateway.url };
  };

  beforeAll(async () => {
    authority = await startTestAuthority();
    saas = await startCloudInstance({ name: 'saas', env: { TESSERA_REALM: 'saas' } });
    selfManaged = await startCloudInstance({ authorityUrl: authority.url, name: 'self-managed' });
    gateway = await startTestGateway([saas.url, selfManaged.url, authority.url]);
    stranger = await startTestIssuer();
  });
  afterAll(async () => {
    await gateway?.close();
    await stranger?.close();
    await selfManaged?.stop();
    await saas?.stop();
    await authority?.stop();
  });

  it('self-signs its instance token at start: iss = itself, realm saas, every unit primitive, one hour', async () => {
    const { admin } = await seated(saas, 'duo_pro');
    const status = await eventually(async () => {
      const answer = await request('GET', `${saas.url}/api/v4/admin/cloud_connector/status`, {
        token: admin.token,
      });
      return answer.body.instance_token ? answer.body : undefined;
    });
    expect(status).toMatchObject({ realm: 'saas', mode: 'self_issued', source: 'self', license: null });
    expect(status.instance_token).toMatchObject({ issuer: saas.url, expired: false });
    expect(status.add_ons.find((a: { name: string }) => a.name === 'duo_pro')).toMatchObject({
      purchased: null,
      assigned: 1,
    });
    const claims = decodeJwt(await storedInstanceToken(saas));
    expect(claims).toMatchObject({ iss: saas.url, gitlab_realm: 'saas', sub: status.instance_id });
    expect(claims.aud).toEqual(['gitlab-ai-gateway', 'gitlab-duo-workflow-service']);
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(claims.nbf).toBe(claims.iat! - 5);
    expect(claims.scopes).toHaveLength(11);
  });

  it('the gateway accepts user tokens of both instances at once', async () => {
    const onSaas = await seated(saas, 'duo_pro');
    const saasAccess = await directAccess(saas, onSaas.user.token);
    expect(saasAccess.headers['X-Gitlab-Realm']).toBe('saas');
    expect((await completeWith(saasAccess)).status).toBe(200);

    const admin = await userWithToken(selfManaged, { admin: true });
    const early = await request(
      'POST',
      `${selfManaged.url}/api/v4/admin/add_ons/duo_pro/seats/${admin.user.id}`,
      {
        token: admin.token,
      },
    );
    expect(early.status).toBe(403);
    expect(early.body).toEqual({ message: '403 Forbidden - activate a license before assigning seats' });
    const license = await authority.createLicense([{ name: 'duo_pro', seats: 2 }]);
    const activated = await request('POST', `${selfManaged.url}/api/v4/admin/cloud_connector/activate`, {
      token: admin.token,
      body: { activation_code: license.code },
    });
    expect(activated.body.instance_token).toMatchObject({ issuer: authority.url });
    const { user } = await seated(selfManaged, 'duo_pro');
    const selfManagedAccess = await directAccess(selfManaged, user.token);
    expect(selfManagedAccess.headers['X-Gitlab-Realm']).toBe('self-managed');
    expect((await completeWith(selfManagedAccess)).status).toBe(200);
    // And the authority's instance token, for the gateway's own user tokens.
    const exchanged = await request('POST', `${gateway.url}/v1/code/user_access_token`, {
      bearer: await storedInstanceToken(selfManaged),
      headers: { 'X-Gitlab-Global-User-Id': selfManagedAccess.headers['X-Gitlab-Global-User-Id'] },
    });
    expect(exchanged.status).toBe(200);
    rememberSecret(exchanged.body.token);
  });

  it('refuses a token from an issuer it was not configured with', async () => {
    const foreign = await stranger.instanceToken({
      audience: 'gitlab-ai-gateway',
      scopes: ['complete_code'],
    });
    const answer = await request('POST', `${gateway.url}/v2/completions`, {
      bearer: foreign,
      body: COMPLETION,
    });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({
      error: 'invalid_token',
      error_description: 'the token was issued by an issuer this service does not trust',
    });
  });

  it("refuses a token signed with issuer A's key that claims to come from issuer B", async () => {
    const forged = rememberSecret(
      await saas.context.keys.signJwt(
        'instance',
        { scopes: ['complete_code'], gitlab_realm: 'self-managed' },
        { issuer: selfManaged.url, audience: 'gitlab-ai-gateway', subject: 'someone', expiresInSeconds: 600 },
      ),
    );
    const answer = await request('POST', `${gateway.url}/v2/completions`, {
      bearer: forged,
      body: COMPLETION,
    });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ error: 'invalid_token' });
  });
});
