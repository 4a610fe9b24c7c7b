import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('health answers while the process runs', async () => {
    const response = await fetch(`${instance.url}/-/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
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
