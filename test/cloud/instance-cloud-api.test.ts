import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import {
  startCloudInstance,
  startTestAuthority,
  userWithToken,
  type TestAuthority,
} from './support/cloud-world.ts';
import { request } from './support/http.ts';

/** The instance's Cloud Connector admin, seats and user-token endpoints: their refusals. */
describe("the instance's Cloud Connector API", () => {
  let authority: TestAuthority;
  let instance: TestInstance;
  let admin: { token: string };
  let person: { user: { id: number }; token: string };
  const api = (method: string, path: string, token: string, body?: unknown) =>
    request(method, `${instance.url}/api/v4${path}`, { token, body });

  beforeAll(async () => {
    authority = await startTestAuthority();
    instance = await startCloudInstance({ authorityUrl: authority.url });
    admin = await userWithToken(instance, { admin: true });
    person = await userWithToken(instance, { scopes: ['api'] });
  });
  afterAll(async () => {
    await instance?.stop();
    await authority?.stop();
  });

  it('shows an unactivated instance: its UUID, no license, no token, nothing synced', async () => {
    const status = await api('GET', '/admin/cloud_connector/status', admin.token);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      realm: 'self-managed',
      mode: 'license',
      source: authority.url,
      license: null,
      instance_token: null,
      sync: { last_attempt_at: null, last_error: null, consecutive_failures: 0 },
    });
    expect(status.body.instance_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(status.body.add_ons.map((a: { name: string }) => a.name)).toEqual([
      'duo_core',
      'duo_pro',
      'duo_enterprise',
    ]);
  });

  it('keeps the admin endpoints for administrators', async () => {
    const answer = await api('GET', '/admin/cloud_connector/status', person.token);
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({ message: '403 Forbidden' });
    expect((await api('POST', `/admin/add_ons/duo_pro/seats/${person.user.id}`, person.token)).status).toBe(
      403,
    );
    expect((await request('GET', `${instance.url}/api/v4/admin/add_ons`)).status).toBe(401);
  });

  it("passes the authority's refusal of an activation code on", async () => {
    const unknown = await api('POST', '/admin/cloud_connector/activate', admin.token, {
      activation_code: 'nope',
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ message: '404 Activation code Not Found' });
    const missing = await api('POST', '/admin/cloud_connector/activate', admin.token, {});
    expect(missing.status).toBe(400);
    expect(missing.body.message).toEqual({ activation_code: ['is missing'] });
  });

  it('assigns seats up to the license and no further, and takes them back', async () => {
    const { code } = await authority.createLicense([{ name: 'duo_pro', seats: 1 }]);
    expect(
      (await api('POST', '/admin/cloud_connector/activate', admin.token, { activation_code: code })).status,
    ).toBe(201);

    const first = await api('POST', `/admin/add_ons/duo_pro/seats/${person.user.id}`, admin.token);
    expect(first.status).toBe(201);
    const repeated = await api('POST', `/admin/add_ons/duo_pro/seats/${person.user.id}`, admin.token);
    expect(repeated.status).toBe(200);
    const other = await userWithToken(instance);
    const full = await api('POST', `/admin/add_ons/duo_pro/seats/${other.user.id}`, admin.token);
    expect(full.status).toBe(422);
    expect(full.body).toEqual({
      message: '422 Unprocessable Entity - no seat of duo_pro is available (1 of 1 assigned)',
    });
    const notBought = await api('POST', `/admin/add_ons/duo_enterprise/seats/${other.user.id}`, admin.token);
    expect(notBought.status).toBe(422);
    expect((await api('POST', `/admin/add_ons/duo_ultra/seats/${other.user.id}`, admin.token)).body).toEqual({
      message: '404 Add-on Not Found',
    });
    expect((await api('POST', '/admin/add_ons/duo_pro/seats/999999', admin.token)).body).toEqual({
      message: '404 User Not Found',
    });

    const seats = await api('GET', '/admin/add_ons/duo_pro/seats', admin.token);
    expect(seats.body).toEqual([
      expect.objectContaining({
        add_on: 'duo_pro',
        user_id: person.user.id,
        assigned_at: expect.any(String),
      }),
    ]);
    const addOns = await api('GET', '/admin/add_ons', admin.token);
    expect(addOns.body.find((a: { name: string }) => a.name === 'duo_pro')).toMatchObject({
      purchased: 1,
      assigned: 1,
    });

    const audit = await api('GET', '/audit_events', admin.token);
    expect(JSON.stringify(audit.body)).toContain('add_on_seat.assigned');
  });

  it('limits user AI tokens to 10 per 5 minutes per user, with Retry-After', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const answer = await api('POST', '/code_suggestions/direct_access', person.token);
      statuses.push(answer.status);
      if (answer.body?.token) rememberSecret(answer.body.token);
    }
    expect(statuses).toEqual(Array(10).fill(201));
    const limited = await api('POST', '/code_suggestions/tokens', person.token);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      message: 'This endpoint has been requested too many times. Try again later.',
    });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // The limit is per user: the admin is not affected by it (and is refused for lacking a seat).
    expect((await api('POST', '/code_suggestions/direct_access', admin.token)).status).toBe(403);
  });

  it('takes a seat back; the user is then refused', async () => {
    expect((await api('DELETE', `/admin/add_ons/duo_pro/seats/${person.user.id}`, admin.token)).status).toBe(
      204,
    );
    expect((await api('DELETE', `/admin/add_ons/duo_pro/seats/${person.user.id}`, admin.token)).body).toEqual(
      {
        message: '404 Seat Not Found',
      },
    );
  });
});
