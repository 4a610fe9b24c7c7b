import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SEALED } from '../../../src/cloud/instance/cloud-connector-deps.ts';
import { cloudConnectorState } from '../../../src/cloud/instance/instance-identity.ts';
import { loadSettings } from '../../../src/config/settings.ts';
import type { RoleReadiness } from '../../../src/runtime/role-readiness.ts';
import { startAiGateway, type RunningAiGateway } from '../../../src/runtime/start-ai-gateway.ts';
import {
  startLicenseAuthority,
  type RunningLicenseAuthority,
} from '../../../src/runtime/start-license-authority.ts';
import type { Engine } from '../../../src/store/database.ts';
import type { User } from '../../../src/store/schema.ts';
import type { Clock } from '../../../src/util/clock.ts';
import { createEmptyDatabaseUrl } from '../../support/databases.ts';
import { freePort, startTestInstance, type TestInstance } from '../../support/instance.ts';
import { rememberSecret } from '../../support/secrets.ts';
import { createUser } from '../../support/world.ts';
import { depsOf, givePat } from '../../tokens/token-fixtures.ts';
import { serviceLogger } from '../../services/support/test-issuer.ts';
import { removeDir } from './role-process.ts';
import { request } from './http.ts';

/** The license authority in this process, on a loopback port, with a store and data dir of its own. */
export interface TestAuthority {
  url: string;
  /** Its store and data dir, for a CLI run against the same authority. */
  env: Record<string, string>;
  running: RunningLicenseAuthority;
  adminToken: string;
  /** Creates a license through the admin API and returns its id and activation code. */
  createLicense(
    addOns: Array<{ name: string; seats: number }>,
    extra?: Record<string, unknown>,
  ): Promise<{ id: number; code: string }>;
  /** Requests to its JWKS so far (from its own request metrics, since the last start). */
  jwksRequests(): Promise<number>;
  /** Starts it again on the same port, store and keys (after `running.close()`: an outage ends). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestAuthority(
  options: { env?: Record<string, string>; port?: number; clock?: Clock; readiness?: RoleReadiness } = {},
): Promise<TestAuthority> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-authority-'));
  const database = await createEmptyDatabaseUrl('sqlite');
  const adminToken = rememberSecret(`tslaa-${randomBytes(24).toString('base64url')}`);
  const env = {
    TESSERA_DATA_DIR: dataDir,
    TESSERA_DATABASE_URL: database.url,
    TESSERA_LICENSE_AUTHORITY_PORT: String(port),
    TESSERA_LICENSE_AUTHORITY_URL: url,
    TESSERA_LICENSE_AUTHORITY_ADMIN_TOKEN: adminToken,
    ...options.env,
  };
  const settings = loadSettings(env);
  const start = () =>
    startLicenseAuthority(settings, {
      logger: serviceLogger(`license-authority-${port}`),
      clock: options.clock,
      readiness: options.readiness,
    });
  const authority: TestAuthority = {
    url,
    env,
    running: await start(),
    adminToken,
    async createLicense(addOns, extra = {}) {
      const created = await request('POST', `${url}/api/v1/admin/licenses`, {
        bearer: adminToken,
        body: { licensee: 'ACME', plan: 'ultimate', add_ons: addOns, ...extra },
      });
      if (created.status !== 201) throw new Error(`license not created: ${JSON.stringify(created.body)}`);
      return { id: created.body.id, code: rememberSecret(created.body.activation_code) };
    },
    async jwksRequests() {
      const metrics = await authority.running.deps.metrics.registry.getSingleMetricAsString(
        'tessera_http_requests_total',
      );
      return [...metrics.matchAll(/route="\/oauth\/discovery\/keys",status="200"} (\d+)/g)].reduce(
        (sum, match) => sum + Number(match[1]),
        0,
      );
    },
    async restart() {
      authority.running = await start();
    },
    async stop() {
      await authority.running.close().catch(() => undefined);
      await database.drop();
      removeDir(dataDir);
    },
  };
  return authority;
}

/** A real instance wired to an authority and a gateway URL, syncing fast (short intervals for tests). */
export async function startCloudInstance(
  options: {
    authorityUrl?: string;
    gatewayUrl?: string;
    env?: Record<string, string>;
    name?: string;
    engine?: Engine;
  } = {},
): Promise<TestInstance> {
  return startTestInstance({
    name: options.name ?? 'cloud-instance',
    engine: options.engine,
    env: {
      ...(options.authorityUrl ? { TESSERA_LICENSE_AUTHORITY_URL: options.authorityUrl } : {}),
      ...(options.gatewayUrl ? { TESSERA_AI_GATEWAY_URL: options.gatewayUrl } : {}),
      TESSERA_CLOUD_CONNECTOR_RETRY_BASE: '1',
      ...options.env,
    },
  });
}

/** The AI gateway role in this process, trusting exactly `issuers`. */
export async function startTestGateway(issuers: string[], port?: number): Promise<RunningAiGateway> {
  const settings = loadSettings({ TESSERA_AI_GATEWAY_PORT: String(port ?? (await freePort())) });
  return startAiGateway(settings, {
    logger: serviceLogger('ai-gateway'),
    issuers: issuers.map((issuer) => ({ issuer })),
  });
}

/** A user of the instance with a PAT (remembered for the leak check). */
export async function userWithToken(
  instance: TestInstance,
  fields: { admin?: boolean; botKind?: User['bot_kind']; scopes?: string[] } = {},
): Promise<{ user: User; token: string }> {
  const user = await createUser(instance.context.db, {
    is_admin: fields.admin ? 1 : 0,
    bot_kind: fields.botKind ?? null,
  });
  const { plaintext } = await givePat(depsOf(instance), user, fields.scopes ?? ['api']);
  return { user, token: plaintext };
}

/** The instance token the instance holds now (opened from the store, as `tessera cloud instance-token` does). */
export async function storedInstanceToken(instance: TestInstance): Promise<string> {
  const state = await cloudConnectorState(instance.context.db, instance.context.clock);
  if (!state.instance_token_encrypted) throw new Error('no instance token stored');
  return rememberSecret(
    instance.context.secrets.box.open(state.instance_token_encrypted, SEALED.instanceToken),
  );
}

/** Waits until `check` holds, polling; fails after `seconds`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, seconds = 20): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
