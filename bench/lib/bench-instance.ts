import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings } from '../../src/config/settings.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startInstance } from '../../src/runtime/start-instance.ts';
import { SYSTEM_ACTOR } from '../../src/audit/audit-log.ts';
import { accessTokenDeps } from '../../src/tokens/access/access-token-deps.ts';
import { issuePersonalAccessToken } from '../../src/tokens/access/personal-access-token.service.ts';
import { createUser } from '../../src/identity/user.service.ts';
import { runningJobToken } from './running-job.ts';

/**
 * A real instance on a loopback port, logging only warnings, with one user and one PAT (`token`) and
 * a running CI job of another user (`jobToken`).
 */
export async function benchInstance(): Promise<{
  url: string;
  token: string;
  jobToken: string;
  stop(): Promise<void>;
}> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  const settings = loadSettings({ TESSERA_DATA_DIR: dataDir, TESSERA_PORT: '0', TESSERA_LOG_LEVEL: 'warn' });
  const instance = await startInstance(settings, { logger: createLogger({ level: 'warn' }) });
  const { context } = instance;
  const user = await createUser(context.db, context.clock, SYSTEM_ACTOR, {
    username: 'bench',
    email: 'bench@example.test',
  });
  const { plaintext } = await issuePersonalAccessToken(accessTokenDeps(context), {
    user,
    name: 'bench',
    scopes: ['api'],
  });
  const jobToken = await runningJobToken(context);
  return {
    url: instance.url,
    token: plaintext,
    jobToken,
    async stop() {
      await instance.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
