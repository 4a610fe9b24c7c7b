import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Gives the run one directory where every server started by a test writes its log and every test
 * writes the secrets it created; at the end, no log may contain any of those secrets.
 */
export function setup(): void {
  process.env.TESSERA_TEST_LOG_DIR = mkdtempSync(join(tmpdir(), 'tessera-test-logs-'));
}

export function teardown(): void {
  const dir = process.env.TESSERA_TEST_LOG_DIR;
  if (!dir || !existsSync(dir)) return;
  const leaks = findLeaks(dir);
  if (leaks.length > 0) {
    throw new Error(`secrets found in test logs:\n${leaks.join('\n')}`);
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Every (log file, secret prefix) pair where a created secret appears in a captured log. */
export function findLeaks(dir: string): string[] {
  const secretsFile = join(dir, 'secrets.txt');
  if (!existsSync(secretsFile)) return [];
  const secrets = [...new Set(readFileSync(secretsFile, 'utf8').split('\n').filter((s) => s.length >= 8))];
  const leaks: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.log'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const secret of secrets) {
      if (text.includes(secret)) leaks.push(`${file}: ${secret.slice(0, 6)}…`);
    }
  }
  return leaks;
}
