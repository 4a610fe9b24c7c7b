import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface LeakReport {
  logFiles: number;
  secrets: number;
  /** `<log file>: <first characters of the secret>…` for every secret found in a log. */
  leaks: string[];
}

/** Searches every captured log of the run for every secret the run's tests created. */
export function findLeaks(dir: string): LeakReport {
  const secretsFile = join(dir, 'secrets.txt');
  const secrets = existsSync(secretsFile)
    ? [
        ...new Set(
          readFileSync(secretsFile, 'utf8')
            .split('\n')
            .filter((s) => s.length >= 8),
        ),
      ]
    : [];
  const logFiles = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.log')) : [];
  const leaks: string[] = [];
  for (const file of logFiles) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const secret of secrets) {
      if (text.includes(secret)) leaks.push(`${file}: ${secret.slice(0, 6)}…`);
    }
  }
  return { logFiles: logFiles.length, secrets: secrets.length, leaks };
}
