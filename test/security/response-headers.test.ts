import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeTableOf } from '../../src/http/route-table.ts';
import type { User } from '../../src/store/schema.ts';
import { JWKS_CACHE_CONTROL } from '../../src/keys/jwks.ts';
import { accessTokenDeps } from '../../src/tokens/access/access-token-deps.ts';
import { issuePersonalAccessToken } from '../../src/tokens/access/personal-access-token.service.ts';
import type { RunningAiGateway } from '../../src/runtime/start-ai-gateway.ts';
import { startTestAuthority, startTestGateway, type TestAuthority } from '../cloud/support/cloud-world.ts';
import { createUserWithPassword } from '../identity/identity-fixtures.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';

/** Public documents that choose their own caching: everything else is `no-store`. */
const CACHEABLE = new Map<string, RegExp>([
  ['/-/jwks', /^max-age=300\b/],
  ['/oauth/discovery/keys', /^max-age=300\b/],
  ['/.well-known/openid-configuration', /^max-age=\d+, public$/],
  ['/.well-known/oauth-authorization-server', /^max-age=\d+, public$/],
  ['/assets/', /^public, max-age=\d+$/],
  ['/favicon.ico', /^public, max-age=\d+$/],
]);

function expectedCaching(path: string, status: number): RegExp {
  if (status !== 200) return /^no-store$/;
  for (const [prefix, policy] of CACHEABLE) if (path === prefix || path.startsWith(prefix)) return policy;
  return /^no-store$/;
}

/**
 * Every route of a role, GET and POST, anonymous and with `authorization`, plus a path nobody
 * serves: each answer carries `nosniff` and the caching its kind needs.
 */
async function walkRoutes(app: FastifyInstance, base: string, authorization: string): Promise<string[]> {
  const routes = routeTableOf(app).filter(
    (route) => (route.method === 'GET' || route.method === 'POST') && !route.url.includes('*'),
  );
  expect(routes.length).toBeGreaterThan(0);
  const wrong: string[] = [];
  const targets = [
    ...routes,
    { method: 'GET', url: '/no/such/path' },
    { method: 'POST', url: '/no/such/path' },
  ];
  for (const route of targets) {
    const path = route.url.replace(/:[A-Za-z_]+/g, '1');
    for (const headers of [{}, { authorization }] as Record<string, string>[]) {
      const response = await fetch(`${base}${path}`, {
        method: route.method,
        redirect: 'manual',
        headers: route.method === 'POST' ? { ...headers, 'content-type': 'application/json' } : headers,
        body: route.method === 'POST' ? '{}' : undefined,
      });
      await response.arrayBuffer();
      const nosniff = response.headers.get('x-content-type-options');
      const caching = response.headers.get('cache-control') ?? '';
      if (nosniff !== 'nosniff' || !expectedCaching(path, response.status).test(caching)) {
        wrong.push(
          `${route.method} ${route.url} ${response.status}: nosniff=${nosniff} cache-control=${caching}`,
        );
      }
    }
  }
  return wrong;
}

describe('security headers on every response of the instance', () => {
  let instance: TestInstance;
  let root: User;
  /** A token the walk may spend (it rotates itself on `…/self/rotate`). */
  let pat: string;
  const newPat = async () =>
    rememberSecret(
      (
        await issuePersonalAccessToken(accessTokenDeps(instance.context), {
          user: root,
          name: 'walker',
          scopes: ['api'],
        })
      ).plaintext,
    );

  beforeAll(async () => {
    instance = await startTestInstance({
      name: 'response-headers',
      // The walk presents one token to every route, and some count it as a failed credential.
      env: { TESSERA_AUTH_FAILURE_LIMIT: '100000' },
    });
    ({ user: root } = await createUserWithPassword(instance.context.db, { username: 'root', is_admin: 1 }));
    pat = await newPat();
  });
  afterAll(() => instance.stop());

  it('every route, a 404 and an error answer nosniff and no-store (public documents keep their caching)', async () => {
    expect(await walkRoutes(instance.app, instance.url, `Bearer ${pat}`)).toEqual([]);
  }, 120_000);

  it('a new token’s answer is never stored by a cache', async () => {
    const pat = await newPat();
    const response = await fetch(`${instance.url}/api/v4/user/personal_access_tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${pat}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'fresh',
        scopes: ['read_api'],
        expires_at: new Date(Date.now() + 10 * 86400_000).toISOString().slice(0, 10),
      }),
    });
    expect(response.status).toBe(201);
    rememberSecret(((await response.json()) as { token: string }).token);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('the JWKS keeps its own max-age', async () => {
    const response = await fetch(`${instance.url}/oauth/discovery/keys`);
    expect(response.headers.get('cache-control')).toBe(JWKS_CACHE_CONTROL);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('security headers on every response of the license authority', () => {
  let authority: TestAuthority;
  beforeAll(async () => {
    authority = await startTestAuthority();
  });
  afterAll(() => authority.stop());

  it('every route and a 404 answer nosniff and no-store (its JWKS and discovery keep their caching)', async () => {
    expect(await walkRoutes(authority.running.app, authority.url, `Bearer ${authority.adminToken}`)).toEqual(
      [],
    );
  }, 60_000);

  it('a license’s activation code is never stored by a cache', async () => {
    const response = await fetch(`${authority.url}/api/v1/admin/licenses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${authority.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ licensee: 'ACME', plan: 'ultimate', add_ons: [{ name: 'duo_pro', seats: 1 }] }),
    });
    expect(response.status).toBe(201);
    rememberSecret(((await response.json()) as { activation_code: string }).activation_code);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('security headers on the AI gateway (built on its own, same rule)', () => {
  let gateway: RunningAiGateway;
  beforeAll(async () => {
    gateway = await startTestGateway([]);
  });
  afterAll(() => gateway.close());

  it.each([
    ['GET', '/monitoring/healthz'],
    ['POST', '/v2/completions'],
    ['POST', '/v1/code/user_access_token'],
    ['GET', '/no/such/path'],
  ])('%s %s answers nosniff and no-store', async (method, path) => {
    const response = await fetch(`${gateway.url}${path}`, { method });
    await response.arrayBuffer();
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });
});
