import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoleReadiness } from '../../src/runtime/role-readiness.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';

describe('operations endpoints', () => {
  let instance: TestInstance;
  beforeAll(async () => {
    instance = await startTestInstance({ name: 'operations' });
  });
  afterAll(async () => {
    await instance.stop();
  });

  it('liveness (and health) answer while the process runs', async () => {
    for (const path of ['/-/liveness', '/-/health']) {
      const response = await fetch(`${instance.url}${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
    }
  });

  it('readiness reports the store as reachable', async () => {
    const response = await fetch(`${instance.url}/-/readiness`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', checks: { store: 'ok' } });
  });

  it('metrics count requests by route pattern and rejected tokens by type, never by raw URL', async () => {
    const token = rememberSecret('glpat-NotARealTokenButLongEnough1234');
    const rejected = await fetch(`${instance.url}/api/v4/user?private_token=${token}`);
    expect(rejected.status).toBe(401);
    const text = await (await fetch(`${instance.url}/metrics`)).text();
    expect(text).toMatch(/tessera_http_requests_total\{method="GET",route="\/-\/health",status="200"\} \d+/);
    expect(text).toMatch(/tessera_tokens_rejected_total\{type="glpat-"\} 1/);
    expect(text).not.toContain(token);
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('an unknown route is a JSON 404 and an oversized header block a 431', async () => {
    const missing = await fetch(`${instance.url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: '404 Not Found' });
    const huge = await fetch(`${instance.url}/-/health`, { headers: { 'x-filler': 'a'.repeat(20_000) } });
    expect(huge.status).toBe(431);
  });

  it('readiness fails with 503 once the store is gone', async () => {
    const other = await startTestInstance({ name: 'operations-down' });
    await other.context.db.destroy();
    const response = await fetch(`${other.url}/-/readiness`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'failed', checks: { store: 'failed' } });
    await other.app.close();
  });
});

describe('readiness', () => {
  const readiness = new RoleReadiness();
  let instance: TestInstance;
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${instance.url}${path}`, { headers });
  beforeAll(async () => {
    instance = await startTestInstance({
      name: 'operations-readiness',
      readiness,
      env: { TESSERA_AUTH_FAILURE_LIMIT: '2' },
    });
  });
  afterAll(async () => {
    await instance.stop();
  });

  it('while starting, every request but the probes is a 503 with Retry-After, discovery included', async () => {
    const discovery = await get('/.well-known/openid-configuration');
    expect(discovery.status).toBe(503);
    expect(discovery.headers.get('retry-after')).toBe('1');
    expect(await discovery.json()).toEqual({ message: '503 Service Unavailable: starting' });
    const ready = await get('/-/readiness');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'starting' });
    expect((await get('/-/liveness')).status).toBe(200);
  });

  it('a token presented while starting counts as no failed authentication', async () => {
    const wrong = { 'private-token': rememberSecret('glpat-NotARealTokenEitherButLongEnough99') };
    for (let i = 0; i < 5; i++) expect((await get('/api/v4/user', wrong)).status).toBe(503);
    readiness.markReady();
    // Limit 2: had the five counted, this would be a 429.
    expect((await get('/api/v4/user', wrong)).status).toBe(401);
  });

  it('once ready, serves and reports the store; while draining, readiness fails but requests are served', async () => {
    expect((await get('/.well-known/openid-configuration')).status).toBe(200);
    const ready = await get('/-/readiness');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { store: 'ok' } });

    readiness.markDraining();
    const draining = await get('/-/readiness');
    expect(draining.status).toBe(503);
    expect(await draining.json()).toEqual({ status: 'draining' });
    // What a load balancer still sends until it notices is answered: that is what the drain is for.
    expect((await get('/.well-known/openid-configuration')).status).toBe(200);
    expect((await get('/-/liveness')).status).toBe(200);
    readiness.markReady();
    expect(readiness.state).toBe('draining');
  });
});
