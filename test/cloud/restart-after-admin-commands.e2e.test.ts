import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import {
  baseEnv,
  removeDir,
  runTessera,
  startRole,
  tempDataDir,
  type RoleProcess,
} from './support/role-process.ts';

/*
 * Issue #16 item 5: an administrator's documented command sequence on the `npm start` demo —
 * licenses create → licenses revoke → cloud activate with the new code → seats unassign → cloud
 * sync — with `serve all` restarted between every two steps. Every restart must start, and the
 * demo seed must undo nothing: root's removed seat stays removed.
 */
describe.each([
  // The new license keeps the demo's add-on: a restart used to give root's seat back.
  { addOn: 'duo_enterprise:5', activationSyncs: true },
  // The new license lacks it: the sync after activation fails while root still holds a seat the
  // license does not cover (and `cloud activate` says so), and a restart used to fail with 422.
  { addOn: 'duo_pro:5', activationSyncs: false },
])(
  'restarts between the administrator’s commands (new license $addOn)',
  { timeout: 600_000 },
  ({ addOn, activationSyncs }) => {
    const dataDir = tempDataDir('restart-admin');
    let running: RoleProcess | undefined;
    let env: Record<string, string> = {};

    const restart = async () => {
      await running?.stop();
      running = undefined;
      running = await startRole('all', env, 'restart-admin');
      return running;
    };
    const tessera = async (...args: string[]) => runTessera(args, env);
    const rootSeats = async () => {
      const listed = await tessera('seats', 'list', '--add-on', 'duo_enterprise', '--json');
      expect(listed.status, listed.stderr).toBe(0);
      return (JSON.parse(listed.stdout) as Array<{ username: string }>).map((seat) => seat.username);
    };

    afterAll(async () => {
      await running?.stop();
      removeDir(dataDir);
    });

    it('every restart starts, and the seat the administrator removed is not given back', async () => {
      const [port, authority, gateway, workflow] = await Promise.all([0, 1, 2, 3].map(() => freePort()));
      env = {
        ...baseEnv(dataDir),
        TESSERA_PORT: String(port),
        TESSERA_LICENSE_AUTHORITY_PORT: String(authority),
        TESSERA_AI_GATEWAY_PORT: String(gateway),
        TESSERA_WORKFLOW_SERVICE_PORT: String(workflow),
        TESSERA_ROOT_TOKEN: rememberSecret(`glpat-${randomBytes(20).toString('base64url')}`),
        TESSERA_ROOT_PASSWORD: rememberSecret(randomBytes(12).toString('base64url')),
        TESSERA_LICENSE_AUTHORITY_ADMIN_TOKEN: rememberSecret(
          `tslaa-${randomBytes(24).toString('base64url')}`,
        ),
      };
      await restart();
      expect(await rootSeats()).toEqual(['root']);

      const created = await tessera('licenses', 'create', '--licensee', 'ACME', '--add-on', addOn, '--json');
      expect(created.status, created.stderr).toBe(0);
      const license = JSON.parse(created.stdout) as { id: number; activation_code: string };
      const code = rememberSecret(license.activation_code);
      await restart();

      const demoLicense = 1;
      expect((await tessera('licenses', 'revoke', String(demoLicense))).status).toBe(0);
      await restart();

      const activated = await tessera('cloud', 'activate', code, '--json');
      const activation = JSON.parse(activated.stdout) as {
        license: { id: string };
        sync: { last_error: string };
      };
      expect(String(activation.license.id)).toBe(String(license.id));
      if (activationSyncs) {
        expect(activated.status, activated.stderr).toBe(0);
        expect(activation.sync.last_error).toBeNull();
      } else {
        expect(activated.status).toBe(1);
        expect(activation.sync.last_error).toMatch(/duo_enterprise/);
      }
      await restart();
      expect(await rootSeats()).toEqual(['root']);

      const unassigned = await tessera('seats', 'unassign', '--add-on', 'duo_enterprise', '--user', 'root');
      expect(unassigned.status, unassigned.stderr).toBe(0);
      await restart();
      expect(await rootSeats()).toEqual([]);

      const synced = await tessera('cloud', 'sync', '--json');
      expect(synced.status, synced.stderr).toBe(0);
      expect(JSON.parse(synced.stdout).sync.last_error).toBeNull();
      await restart();
      expect(await rootSeats()).toEqual([]);
      expect(running!.stdout).not.toContain('not seeded');
    });
  },
);
