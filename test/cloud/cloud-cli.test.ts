import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rememberSecret } from '../support/secrets.ts';
import { startTestAuthority, type TestAuthority } from './support/cloud-world.ts';
import { baseEnv, removeDir, runTessera, tempDataDir } from './support/role-process.ts';

/** The operators' commands: the vendor's `tessera licenses`, the instance's `tessera cloud` and `tessera seats`. */
describe('the Cloud Connector CLI', async () => {
  let authority: TestAuthority;
  const instanceDir = tempDataDir('cli-instance');
  let instanceEnv: Record<string, string>;
  let authorityEnv: Record<string, string>;
  let code = '';

  beforeAll(async () => {
    authority = await startTestAuthority();
    authorityEnv = { ...baseEnv(authority.env.TESSERA_DATA_DIR!), ...authority.env };
    instanceEnv = { ...baseEnv(instanceDir), TESSERA_LICENSE_AUTHORITY_URL: authority.url };
  });
  afterAll(async () => {
    await authority?.stop();
    removeDir(instanceDir);
  });

  it('`tessera licenses create` prints the activation code once; `licenses list` never shows it', async () => {
    const created = await runTessera(
      [
        'licenses',
        'create',
        '--licensee',
        'ACME',
        '--add-on',
        'duo_pro:2',
        '--add-on',
        'duo_core:5',
        '--json',
      ],
      authorityEnv,
    );
    expect(created.status, created.stderr).toBe(0);
    const license = JSON.parse(created.stdout);
    expect(license).toMatchObject({
      licensee: 'ACME',
      plan: 'ultimate',
      state: 'active',
      add_ons: [
        { name: 'duo_pro', seats: 2 },
        { name: 'duo_core', seats: 5 },
      ],
    });
    code = rememberSecret(license.activation_code);
    const listed = await runTessera(['licenses', 'list'], authorityEnv);
    expect(listed.stdout).toContain('duo_pro:2 duo_core:5');
    expect(listed.stdout).not.toContain(code);
  });

  it('`tessera cloud activate CODE` activates and syncs; `seats assign` and `cloud status` follow', async () => {
    const activated = await runTessera(['cloud', 'activate', code, '--json'], instanceEnv);
    expect(activated.status, activated.stderr).toBe(0);
    const status = JSON.parse(activated.stdout);
    expect(status).toMatchObject({
      license: { licensee: 'ACME' },
      instance_token: { issuer: authority.url },
    });

    const user = await runTessera(
      ['users', 'create', '--username', 'dev', '--email', 'dev@example.test', '--json'],
      instanceEnv,
    );
    rememberSecret(JSON.parse(user.stdout).password);
    const seat = await runTessera(['seats', 'assign', '--add-on', 'duo_pro', '--user', 'dev'], instanceEnv);
    expect(seat.stdout.trim()).toBe('dev now holds a seat of duo_pro');

    const shown = await runTessera(['cloud', 'status'], instanceEnv);
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/license:\s+ACME \(ultimate\)/);
    expect(shown.stdout).toMatch(/duo_pro\s+2\s+1/);

    const token = await runTessera(['cloud', 'instance-token'], instanceEnv);
    expect(decodeJwt(rememberSecret(token.stdout.trim()))).toMatchObject({
      iss: authority.url,
      sub: status.instance_id,
    });
  });

  it('`tessera cloud activate` with a wrong code exits with status 1', async () => {
    const refused = await runTessera(['cloud', 'activate', 'wrong-code'], instanceEnv);
    expect(refused.status).toBe(1);
  });
});
