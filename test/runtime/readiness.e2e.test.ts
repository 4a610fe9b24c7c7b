import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { completeWith, request } from '../cloud/support/http.ts';
import { baseEnv, removeDir, tempDataDir } from '../cloud/support/role-process.ts';
import { createHealthClient } from '../services/support/health-client.ts';
import { freePort } from '../support/instance.ts';
import { rememberSecret, testLogDir } from '../support/secrets.ts';

/*
 * Issue #16, acceptance 1: from process start, the first 200 from discovery means the root token,
 * direct_access (AI gateway) and the workflow service all work at once. `serve all` is the real
 * CLI as a child process, polled every 20 ms from spawn; then SIGTERM drains and exits 0.
 */

const POLL_MS = 20;

/** What a probe saw: a status, or `null` while nothing listened yet. */
async function statusOf(url: string): Promise<{ status: number; body: unknown } | null> {
  try {
    const response = await fetch(url);
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
  } catch {
    return null;
  }
}

const pause = () => new Promise((resolve) => setTimeout(resolve, POLL_MS));

describe('serve all is ready when it says so', { timeout: 180_000 }, () => {
  const dataDir = tempDataDir('readiness');
  const rootToken = rememberSecret(`glpat-${randomBytes(20).toString('base64url')}`);
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    removeDir(dataDir);
  });

  it('answers nothing but 503 until everything works, then drains on SIGTERM and exits 0', async () => {
    const [port, authorityPort, gatewayPort, workflowPort] = await Promise.all(
      [0, 1, 2, 3].map(() => freePort()),
    );
    const base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['bin/tessera.mjs', 'serve', 'all'], {
      env: {
        ...baseEnv(dataDir),
        TESSERA_PORT: String(port),
        TESSERA_LICENSE_AUTHORITY_PORT: String(authorityPort),
        TESSERA_AI_GATEWAY_PORT: String(gatewayPort),
        TESSERA_WORKFLOW_SERVICE_PORT: String(workflowPort),
        TESSERA_ROOT_TOKEN: rootToken,
        TESSERA_ROOT_PASSWORD: rememberSecret(randomBytes(12).toString('base64url')),
        TESSERA_LICENSE_AUTHORITY_ADMIN_TOKEN: rememberSecret(
          `tslaa-${randomBytes(24).toString('base64url')}`,
        ),
        TESSERA_DRAIN_DELAY_SECONDS: '2',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logFile = join(testLogDir(), `readiness-e2e-${port}.log`);
    child.stderr!.on('data', (chunk: Buffer) => appendFileSync(logFile, chunk));
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));

    // Until discovery first answers 200: what discovery, readiness and liveness said meanwhile.
    const before = {
      discovery: new Set<number>(),
      readiness: new Set<number>(),
      liveness: new Set<number>(),
    };
    for (;;) {
      expect(child.exitCode, `serve all exited early:\n${stdout}`).toBeNull();
      // In this order: readiness stays ready once ready, so a readiness answer followed by a 503 from
      // discovery was given before the process was ready.
      const liveness = await statusOf(`${base}/-/liveness`);
      const readiness = await statusOf(`${base}/-/readiness`);
      const discovery = await statusOf(`${base}/.well-known/openid-configuration`);
      if (discovery?.status === 200) break;
      if (liveness) before.liveness.add(liveness.status);
      if (readiness) before.readiness.add(readiness.status);
      if (discovery) {
        before.discovery.add(discovery.status);
        expect(discovery.body).toEqual({ message: '503 Service Unavailable: starting' });
      }
      await pause();
    }

    // At once, everything the first 200 promises.
    const [user, aiAccess, workflowAccess, health] = await Promise.all([
      request('GET', `${base}/api/v4/user`, { token: rootToken }),
      request('POST', `${base}/api/v4/code_suggestions/direct_access`, { token: rootToken }),
      // The instance calls the workflow service's GenerateToken over gRPC to answer this one.
      request('POST', `${base}/api/v4/ai/duo_workflows/direct_access`, { token: rootToken }),
      (async () => {
        const client = createHealthClient(`127.0.0.1:${workflowPort}`);
        try {
          return await client.check('');
        } finally {
          client.close();
        }
      })(),
    ]);
    expect(user.status).toBe(200);
    expect(user.body.username).toBe('root');
    expect(aiAccess.status).toBe(201);
    expect(aiAccess.body.base_url).toBe(`http://127.0.0.1:${gatewayPort}`);
    expect((await completeWith(aiAccess.body)).status).toBe(200);
    expect(workflowAccess.status).toBe(201);
    rememberSecret(workflowAccess.body.duo_workflow_service.token);
    expect(workflowAccess.body.duo_workflow_service.base_url).toBe(`127.0.0.1:${workflowPort}`);
    expect(health).toEqual({ status: 'SERVING' });
    expect((await statusOf(`${base}/-/readiness`))?.status).toBe(200);

    // Before that: only 503s (never a 401 or a 500), readiness 503 too, liveness 200.
    expect([...before.discovery].every((status) => status === 503)).toBe(true);
    expect([...before.readiness]).toEqual([503]);
    expect([...before.liveness]).toEqual([200]);
    // The banner comes after all that.
    expect(stdout).toContain('Tessera is ready.');

    // SIGTERM: readiness fails while the process drains, requests are still answered, then exit 0.
    child.kill('SIGTERM');
    let sawDraining = false;
    while (child.exitCode === null) {
      const readiness = await statusOf(`${base}/-/readiness`);
      if (readiness?.status === 503) {
        expect(readiness.body).toEqual({ status: 'draining' });
        expect((await statusOf(`${base}/-/liveness`))?.status).toBe(200);
        expect((await request('GET', `${base}/api/v4/user`, { token: rootToken })).status).toBe(200);
        sawDraining = true;
        break;
      }
      await pause();
    }
    expect(sawDraining).toBe(true);
    expect(await exited).toBe(0);
  });
});
