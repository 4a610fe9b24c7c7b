import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadSettings, type Settings } from '../../src/config/settings.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { RoleReadiness } from '../../src/runtime/role-readiness.ts';
import { startInstance, type RunningInstance } from '../../src/runtime/start-instance.ts';
import type { Engine } from '../../src/store/database.ts';
import type { Clock } from '../../src/util/clock.ts';
import { createEmptyDatabaseUrl } from './databases.ts';
import { testLogDir } from './secrets.ts';

/** A port nobody listens on right now (the instance must know its URL before it listens: it is `iss`). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface TestInstance extends RunningInstance {
  settings: Settings;
  /** Stops the server and deletes its data directory and database. */
  stop(): Promise<void>;
}

/**
 * A real instance on a loopback port, with its own data directory and database, logging into the
 * run's log directory so the leak check sees everything it printed.
 */
export async function startTestInstance(
  options: {
    engine?: Engine;
    env?: Record<string, string>;
    clock?: Clock;
    name?: string;
    /** The test's own, to mark ready (or draining) itself; default: ready once listening. */
    readiness?: RoleReadiness;
  } = {},
): Promise<TestInstance> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-data-'));
  const database = await createEmptyDatabaseUrl(options.engine ?? 'sqlite');
  const settings = loadSettings({
    TESSERA_PORT: String(port),
    TESSERA_DATA_DIR: dataDir,
    TESSERA_DATABASE_URL: database.url,
    TESSERA_LOG_LEVEL: 'info',
    ...options.env,
  });
  const logFile = join(testLogDir(), `${options.name ?? 'instance'}-${port}.log`);
  const logger = createLogger({
    level: settings.logLevel,
    destination: pino.destination({ dest: logFile, sync: true }),
  });
  const running = await startInstance(settings, {
    logger,
    clock: options.clock,
    readiness: options.readiness,
  });
  return {
    ...running,
    settings,
    async stop() {
      await running.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
