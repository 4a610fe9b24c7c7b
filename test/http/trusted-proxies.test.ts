import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings, SettingsError } from '../../src/config/settings.ts';
import { exchange } from '../security/support/exchange.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';

const USER = '/api/v4/user';
const bogusPat = () => `glpat-${randomBytes(15).toString('base64url')}`;

/** A failed token authentication from `via`, claiming to be `client` in X-Forwarded-For. */
const failFrom = (instance: TestInstance, via: string, client: string) =>
  exchange(`${instance.url}${USER}`, {
    headers: { 'private-token': bogusPat(), 'x-forwarded-for': client },
    localAddress: via,
  });

describe('per-address limits behind a load balancer (TESSERA_TRUSTED_PROXIES)', () => {
  let instance: TestInstance;

  beforeAll(async () => {
    instance = await startTestInstance({
      name: 'trusted-proxies',
      env: {
        TESSERA_AUTH_FAILURE_LIMIT: '2',
        TESSERA_AUTH_FAILURE_WINDOW: '60',
        TESSERA_TRUSTED_PROXIES: '127.0.0.5, 127.0.1.0/24',
      },
    });
  });
  afterAll(() => instance.stop());

  it('counts failures per forwarded client when the request comes through a trusted proxy', async () => {
    for (let i = 0; i < 2; i++)
      expect((await failFrom(instance, '127.0.0.5', '198.51.100.7')).status).toBe(401);
    expect((await failFrom(instance, '127.0.0.5', '198.51.100.7')).status).toBe(429);
    // Another client behind the same balancer is not locked out by its neighbour.
    expect((await failFrom(instance, '127.0.1.9', '198.51.100.8')).status).toBe(401);
  });

  it('ignores X-Forwarded-For from anyone else, so a client cannot pick a fresh address per request', async () => {
    for (let i = 0; i < 2; i++) {
      expect((await failFrom(instance, '127.0.0.6', `203.0.113.${i + 1}`)).status).toBe(401);
    }
    expect((await failFrom(instance, '127.0.0.6', '203.0.113.99')).status).toBe(429);
  });

  it('audits the lock-out under the forwarded client address', async () => {
    const rows = await instance.context.db
      .selectFrom('audit_events')
      .select('ip_address')
      .where('ip_address', '=', '198.51.100.7')
      .execute();
    expect(rows.length).toBeGreaterThan(0);
  });
});

describe('TESSERA_TRUSTED_PROXIES parsing', () => {
  it('accepts addresses and CIDR ranges of both families, and nothing when unset', () => {
    expect(loadSettings({}).trustedProxies).toEqual([]);
    expect(
      loadSettings({ TESSERA_TRUSTED_PROXIES: '10.0.0.1,10.1.0.0/16, ::1, fd00::/8' }).trustedProxies,
    ).toEqual(['10.0.0.1', '10.1.0.0/16', '::1', 'fd00::/8']);
  });

  it.each(['loadbalancer.local', '10.0.0.0/33', '10.0.0.1/8/1', 'true', '*'])('refuses %j', (value) => {
    expect(() => loadSettings({ TESSERA_TRUSTED_PROXIES: value })).toThrow(SettingsError);
  });
});
