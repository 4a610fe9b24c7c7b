import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Gives the run a directory of its own where every server started by a test writes its log and every
 * test writes the secrets it created. `scripts/check-log-leaks.ts` reads it after the run (vitest
 * ignores a failing global teardown, so the check is its own step of `npm test`); `LATEST` names it.
 */
export function setup(): void {
  const root = join(process.cwd(), '.tessera', 'test-logs');
  const dir = join(root, `run-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(root, 'LATEST'), dir);
  process.env.TESSERA_TEST_LOG_DIR = dir;
}
