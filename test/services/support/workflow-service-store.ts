import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine } from '../../../src/store/database.ts';
import { createEmptyDatabaseUrl } from '../../support/databases.ts';
import { rememberSecret } from '../../support/secrets.ts';

/**
 * What the workflow-service role keeps its keys and revocations in, for a test: a database of its
 * own (SQLite unless told otherwise), a data directory and the two instance secrets, as `TESSERA_*`
 * settings to pass to `loadSettings`. Several replicas given the same `env` share the store.
 */
export async function workflowServiceStore(
  engine: Engine = 'sqlite',
): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  const database = await createEmptyDatabaseUrl(engine);
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-workflow-service-'));
  return {
    env: {
      TESSERA_DATABASE_URL: database.url,
      TESSERA_DATA_DIR: dataDir,
      TESSERA_KEY_ENCRYPTION_KEY: rememberSecret(randomBytes(32).toString('base64url')),
      TESSERA_DIGEST_SECRET: rememberSecret(randomBytes(32).toString('base64url')),
    },
    async drop() {
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
