import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoleReadiness } from '../../src/runtime/role-readiness.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { rememberSecret } from '../support/secrets.ts';
import { startTestAuthority, type TestAuthority } from './support/cloud-world.ts';
import { request } from './support/http.ts';

const START = '2026-03-01T12:00:00.000Z';

/** The license authority's HTTP API on its own, over a real socket, with a frozen clock. */
describe('the license authority API', () => {
  const clock = new ManualClock(START);
  let authority: TestAuthority;
  const instanceId: string = randomUUID();
  const admin = (method: string, path: string, body?: unknown) =>
    request(method, `${authority.url}${path}`, { bearer: authority.adminToken, body });
  const activate = (code: string, instance: string = instanceId) =>
    request('POST', `${authority.url}/api/v1/activate`, {
      body: { activation_code: code, instance_id: instance },
    });
  const instanceToken = (
    licenseKey: string | undefined,
    seats: Record<string, number> = {},
    instance: string = instanceId,
  ) =>
    request('POST', `${authority.url}/api/v1/instance_tokens`, {
      ...(licenseKey ? { bearer: licenseKey } : {}),
      body: { instance_id: instance, seats },
    });

  beforeAll(async () => {
    authority = await startTestAuthority({ clock });
  });
  afterAll(async () => {
    await authority?.stop();
  });

  it('publishes a discovery document and a JWKS of its own keys', async () => {
    const discovery = await request('GET', `${authority.url}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(discovery.body).toMatchObject({
      issuer: authority.url,
      jwks_uri: `${authority.url}/oauth/discovery/keys`,
    });
    const jwks = await request('GET', discovery.body.jwks_uri);
    expect(jwks.headers.get('cache-control')).toBe('max-age=300, public, must-revalidate, no-transform');
    expect(jwks.body.keys).toHaveLength(2); // active and next
    expect(jwks.body.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.body.keys[0]).not.toHaveProperty('d');
  });

  it('answers 401 to the admin API without the admin token, whatever was sent', async () => {
    for (const headers of [{}, { authorization: 'Bearer tslaa-wrong' }, { 'private-token': 'x' }] as Record<
      string,
      string
    >[]) {
      const answer = await request('GET', `${authority.url}/api/v1/admin/licenses`, { headers });
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ message: '401 Unauthorized' });
    }
  });

  it('refuses a license naming an unknown add-on, or without seats, naming the field', async () => {
    const unknown = await admin('POST', '/api/v1/admin/licenses', {
      licensee: 'ACME',
      plan: 'ultimate',
      add_ons: [{ name: 'duo_ultra', seats: 1 }],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toHaveProperty('add_ons');
    const noSeats = await admin('POST', '/api/v1/admin/licenses', {
      licensee: 'ACME',
      plan: 'ultimate',
      add_ons: [{ name: 'duo_pro', seats: 0 }],
    });
    expect(noSeats.status).toBe(400);
  });

  it('activates once per instance, hands out a license key, and signs instance tokens with the full claim set', async () => {
    const { id, code } = await authority.createLicense([{ name: 'duo_enterprise', seats: 2 }], {
      expires_at: '2026-06-01',
    });
    const listed = await admin('GET', `/api/v1/admin/licenses/${id}`);
    expect(listed.body).toMatchObject({
      state: 'active',
      activated: false,
      expires_at: '2026-06-01T00:00:00.000Z',
    });
    expect(JSON.stringify(listed.body)).not.toMatch(/activation_code|digest/);

    expect((await activate('not-a-code')).body).toEqual({ message: '404 Activation code Not Found' });
    expect((await activate(code, 'not-a-uuid')).status).toBe(400);
    const activated = await activate(code);
    expect(activated.status).toBe(201);
    expect(activated.body.license).toMatchObject({
      id,
      licensee: 'ACME',
      add_ons: [{ name: 'duo_enterprise', seats: 2 }],
    });
    const licenseKey = rememberSecret(activated.body.license_key);
    expect(licenseKey).toMatch(/^tslk-/);
    const elsewhere = await activate(code, randomUUID());
    expect(elsewhere.status).toBe(409);
    expect(elsewhere.body).toEqual({ message: 'This license is already activated by another instance' });

    const issued = await instanceToken(licenseKey, { duo_enterprise: 2 });
    expect(issued.status).toBe(201);
    const token = rememberSecret(issued.body.token);
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: authority.url,
      aud: ['gitlab-ai-gateway', 'gitlab-duo-workflow-service'],
      sub: instanceId,
      gitlab_realm: 'self-managed',
      iat: Date.parse(START) / 1000,
      nbf: Date.parse(START) / 1000 - 5,
      exp: Date.parse(START) / 1000 + 3 * 86400,
      jti: expect.any(String),
    });
    expect(claims.scopes).toHaveLength(11);
    expect(issued.body).toMatchObject({ expires_at: claims.exp, scopes: claims.scopes });
    const header = decodeProtectedHeader(token);
    const jwks = await request('GET', `${authority.url}/oauth/discovery/keys`);
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toContain(header.kid);
    expect(header.typ).toBe('JWT');
    expect((await admin('GET', `/api/v1/admin/licenses/${id}`)).body).toMatchObject({
      activated: true,
      instance_id: instanceId,
      seats_in_use: { duo_enterprise: 2 },
      last_sync_at: START,
    });

    // Reactivation from the same instance voids the previous key.
    const again = await activate(code);
    expect(again.status).toBe(201);
    rememberSecret(again.body.license_key);
    expect((await instanceToken(licenseKey)).status).toBe(401);
    expect((await instanceToken(again.body.license_key)).status).toBe(201);
  });

  it('refuses an instance token for seats over the license, another instance, a revoked or an expired license', async () => {
    const { id, code } = await authority.createLicense([{ name: 'duo_pro', seats: 2 }], {
      expires_at: '2026-04-01',
    });
    const other = randomUUID();
    const key = rememberSecret((await activate(code, other)).body.license_key);

    const over = await instanceToken(key, { duo_pro: 3, duo_core: 1 }, other);
    expect(over.status).toBe(403);
    expect(over.body).toEqual({
      message:
        '403 Forbidden - seats in use exceed the license (duo_pro 3 assigned, 2 purchased; duo_core 1 assigned, 0 purchased)',
    });
    const wrongInstance = await instanceToken(key, {}, instanceId);
    expect(wrongInstance.status).toBe(403);
    expect(wrongInstance.body).toEqual({
      message: '403 Forbidden - the license is activated for another instance',
    });
    expect((await instanceToken(undefined, {}, other)).body).toEqual({ message: '401 Unauthorized' });

    clock.set('2026-04-02T00:00:00.000Z');
    const expired = await instanceToken(key, {}, other);
    expect(expired.status).toBe(403);
    expect(expired.body).toEqual({
      message: '403 Forbidden - the license expired at 2026-04-01T00:00:00.000Z',
    });
    clock.set(START);

    const revoked = await admin('POST', `/api/v1/admin/licenses/${id}/revoke`);
    expect(revoked.body).toMatchObject({ state: 'revoked', revoked_at: START });
    const refused = await instanceToken(key, {}, other);
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ message: '403 Forbidden - the license has been revoked' });
    expect((await activate(code, other)).body).toEqual({
      message: '403 Forbidden - the license has been revoked',
    });
    expect((await admin('POST', '/api/v1/admin/licenses/9999/revoke')).status).toBe(404);
  });

  it('refuses to activate a license whose term has not started', async () => {
    const { code } = await authority.createLicense([{ name: 'duo_pro', seats: 1 }], {
      starts_at: '2026-05-01',
      expires_at: '2027-05-01',
    });
    const early = await activate(code, randomUUID());
    expect(early.status).toBe(403);
    expect(early.body).toEqual({ message: '403 Forbidden - the license has not started yet' });
  });
});

describe('the license authority before its process is ready', () => {
  it('answers 503 starting to everything but the probes, then serves', async () => {
    const readiness = new RoleReadiness();
    const authority = await startTestAuthority({ readiness });
    try {
      const discovery = () => request('GET', `${authority.url}/.well-known/openid-configuration`);
      const starting = await discovery();
      expect([starting.status, starting.headers.get('retry-after'), starting.body]).toEqual([
        503,
        '1',
        { message: '503 Service Unavailable: starting' },
      ]);
      expect(await request('GET', `${authority.url}/-/readiness`)).toMatchObject({
        status: 503,
        body: { status: 'starting' },
      });
      expect((await request('GET', `${authority.url}/-/liveness`)).status).toBe(200);
      readiness.markReady();
      expect((await discovery()).status).toBe(200);
      expect((await request('GET', `${authority.url}/-/readiness`)).status).toBe(200);
    } finally {
      await authority.stop();
    }
  });
});
