import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Gives the run one directory where every server started by a test writes its log and every test
 * writes the secrets it created. `scripts/check-log-leaks.ts` reads it after the run (vitest ignores
 * a failing global teardown, so the check is its own step of `npm test`).
 */
export function setup(): void {
  const dir = join(process.cwd(), '.tessera', 'test-logs');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  process.env.TESSERA_TEST_LOG_DIR = dir;
}
