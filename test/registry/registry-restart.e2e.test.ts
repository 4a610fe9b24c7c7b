import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings, type Settings } from '../../src/config/settings.ts';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startInstance, type RunningInstance } from '../../src/runtime/start-instance.ts';
import type { Project } from '../../src/store/schema.ts';
import { deployTokenVariables } from '../../src/tokens/deploy/deploy-token-variables.ts';
import { createEmptyDatabaseUrl } from '../support/databases.ts';
import { freePort, type TestInstance } from '../support/instance.ts';
import { rememberSecret, testLogDir } from '../support/secrets.ts';
import { addMember, createGroup, createProject, createUser } from '../support/world.ts';
import { call, depsOf, givePat } from '../tokens/token-fixtures.ts';
import { tesseraCli } from './registry-fixtures.ts';
import { buildOciImage, pull, push, startRegistry, type RunningRegistry } from './registry-peer.ts';

/**
 * The seed's point: the cluster keeps pulling with `CI_DEPLOY_USER`/`CI_DEPLOY_PASSWORD` long after the
 * deploy job, and after Tessera itself restarts (same store, same key-encryption key, same keys).
 */
describe('CI_DEPLOY_* keep pulling after Tessera restarts', () => {
  let settings: Settings;
  let dropDatabase: () => Promise<void>;
  let running: RunningInstance;
  let registry: RunningRegistry;
  let project: Project;
  let image: string;
  let generation = 0;

  const start = async () => {
    const logger = createLogger({
      level: 'info',
      destination: pino.destination({
        dest: join(testLogDir(), `registry-restart-${settings.port}-${generation++}.log`),
        sync: true,
      }),
    });
    running = await startInstance(settings, { logger });
  };
  /** The view the fixtures expect of a running test instance. */
  const asTestInstance = () => ({ ...running, settings }) as unknown as TestInstance;

  beforeAll(async () => {
    const database = await createEmptyDatabaseUrl('sqlite');
    dropDatabase = database.drop;
    settings = loadSettings({
      TESSERA_PORT: String(await freePort()),
      TESSERA_DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-data-')),
      TESSERA_DATABASE_URL: database.url,
      TESSERA_LOG_LEVEL: 'info',
    });
    await start();
    const { db } = running.context;
    const group = await createGroup(db, { path: 'shop' });
    project = await createProject(db, group, { path: 'checkout', visibility: 'private' });
    const maintainer = await createUser(db);
    await addMember(db, project, maintainer, ACCESS_LEVELS.maintainer);
    const pat = (await givePat(depsOf(asTestInstance()), maintainer, ['api'])).plaintext;
    const cert = tesseraCli(asTestInstance(), ['registry', 'cert']);
    expect(cert.status, cert.stderr).toBe(0);
    registry = await startRegistry({
      realm: `${running.url}/jwt/auth`,
      bundle: cert.stdout,
      name: 'registry-restart',
    });
    image = buildOciImage('1.0');
    const pushed = await push(registry, image, '1.0', 'shop/checkout', {
      username: maintainer.username,
      password: pat,
    });
    expect(pushed.ok, pushed.stderr).toBe(true);
    const enabled = await call(asTestInstance(), 'PUT', `/api/v4/projects/${project.id}`, {
      token: pat,
      body: { auto_devops_enabled: true },
    });
    expect(enabled.body.auto_devops_enabled).toBe(true);
  });

  afterAll(async () => {
    await registry?.stop();
    await running?.close();
    await dropDatabase?.();
    rmSync(settings.dataDir, { recursive: true, force: true });
    rmSync(image, { recursive: true, force: true });
  });

  it('hands the deploy job the same credentials before and after a restart, and they pull each time', async () => {
    const variablesNow = async () => {
      const list = await deployTokenVariables(running.context, project, { environment: 'production' });
      const map = Object.fromEntries(list.map((v) => [v.key, v.value]));
      rememberSecret(map.CI_DEPLOY_PASSWORD!);
      return { username: map.CI_DEPLOY_USER!, password: map.CI_DEPLOY_PASSWORD! };
    };
    const fromDeployJob = await variablesNow();
    expect(fromDeployJob.username).toMatch(/^gitlab\+deploy-token-\d+$/);
    expect((await pull(registry, 'shop/checkout', '1.0', fromDeployJob)).ok).toBe(true);

    await running.close();
    expect((await pull(registry, 'shop/checkout', '1.0', fromDeployJob)).ok).toBe(false);
    await start();

    expect((await pull(registry, 'shop/checkout', '1.0', fromDeployJob)).ok).toBe(true);
    expect(await variablesNow()).toEqual(fromDeployJob);
  });
});
