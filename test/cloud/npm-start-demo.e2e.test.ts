import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { completeWith, request } from './support/http.ts';
import { baseEnv, removeDir, startRole, tempDataDir, type RoleProcess } from './support/role-process.ts';

/*
 * `npm start` (`tessera serve all`) on an empty data directory runs the license authority too,
 * creates a demo license, activates the instance with it, syncs and seats root: direct_access with
 * root's token answers at once with the running gateway as base_url. A second start changes nothing.
 */
describe('the AI part of the npm start demo', { timeout: 240_000 }, () => {
  const dataDir = tempDataDir('npm-start-ai');
  const rootToken = rememberSecret(`glpat-${randomBytes(20).toString('base64url')}`);
  const adminToken = rememberSecret(`tslaa-${randomBytes(24).toString('base64url')}`);
  let running: RoleProcess | undefined;

  const start = async () => {
    const [port, authority, gateway, workflow] = await Promise.all([0, 1, 2, 3].map(() => freePort()));
    running = await startRole(
      'all',
      {
        ...baseEnv(dataDir),
        TESSERA_PORT: String(port),
        TESSERA_LICENSE_AUTHORITY_PORT: String(authority),
        TESSERA_AI_GATEWAY_PORT: String(gateway),
        TESSERA_WORKFLOW_SERVICE_PORT: String(workflow),
        TESSERA_ROOT_TOKEN: rootToken,
        TESSERA_ROOT_PASSWORD: rememberSecret(randomBytes(12).toString('base64url')),
        TESSERA_LICENSE_AUTHORITY_ADMIN_TOKEN: adminToken,
      },
      'npm-start-ai',
    );
    return {
      instance: `http://127.0.0.1:${port}`,
      authority: `http://127.0.0.1:${authority}`,
      gateway: `http://127.0.0.1:${gateway}`,
    };
  };

  afterAll(async () => {
    await running?.stop();
    removeDir(dataDir);
  });

  it('answers direct_access for root at once, pointing at the running gateway, on the first and second start', async () => {
    for (const round of [1, 2]) {
      const urls = await start();
      expect(running!.stdout).toContain('AI access:');
      const access = await request('POST', `${urls.instance}/api/v4/code_suggestions/direct_access`, {
        token: rootToken,
      });
      expect(access.status).toBe(201);
      expect(access.body.base_url).toBe(urls.gateway);
      expect((await completeWith(access.body)).status).toBe(200);
      const licenses = await request('GET', `${urls.authority}/api/v1/admin/licenses`, {
        bearer: adminToken,
      });
      expect(licenses.body).toHaveLength(1);
      expect(licenses.body[0]).toMatchObject({
        licensee: 'Tessera demo',
        state: 'active',
        seats_in_use: { duo_enterprise: 1 },
      });
      expect(round === 1 || !running!.stdout.includes('admin token:')).toBe(true);
      await running!.stop();
    }
  });
});
