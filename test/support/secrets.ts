import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every secret a test creates is written here, so the suite's teardown can search every captured
 * log for it (the "no secret in any log line" check).
 */
export function testLogDir(): string {
  const dir = process.env.TESSERA_TEST_LOG_DIR;
  if (!dir)
    throw new Error('TESSERA_TEST_LOG_DIR is unset: run tests through vitest, whose global setup sets it');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function rememberSecret(secret: string): string {
  if (secret.length >= 8) appendFileSync(join(testLogDir(), 'secrets.txt'), `${secret}\n`);
  return secret;
}
