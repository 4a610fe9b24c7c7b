import { userInfo } from 'node:os';
import pino from 'pino';
import type { Actor } from '../audit/audit-log.ts';
import { loadSettings, type Settings } from '../config/settings.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { createInstanceContext } from '../runtime/create-instance-context.ts';
import type { InstanceContext } from '../runtime/instance-context.ts';

export interface CliContext extends InstanceContext {
  close(): Promise<void>;
}

/** The instance's services for a one-shot command: same settings and store as the server, logs on stderr. */
export async function openCliContext(): Promise<CliContext> {
  const settings: Settings = loadSettings();
  const context = await createInstanceContext(settings, { logger: cliLogger(settings) });
  return {
    ...context,
    async close() {
      await context.evictionFeed?.close();
      await context.db.destroy();
    },
  };
}

function cliLogger(settings: Settings): Logger {
  // Commands print their results on stdout; logs go to stderr so `--json` output stays parseable.
  return createLogger({
    level: settings.logLevel === 'info' ? 'warn' : settings.logLevel,
    destination: pino.destination(2),
  });
}

/** Prints a result as JSON or through the human formatter. */
export function output(json: boolean | undefined, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

/** A small aligned table for human output. */
export function table(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '(none)';
  const columns = Object.keys(rows[0]!);
  const cells = rows.map((row) =>
    columns.map((c) => (row[c] === null || row[c] === undefined ? '' : String(row[c]))),
  );
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns), ...cells.map(line)].join('\n');
}

/** The audit actor for a command run by an operator: the OS account, marked as the CLI. */
export function cliActor(): Actor {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry for the uid (some containers): the audit event still says it came from the CLI.
  }
  return { userId: null, name: `cli:${user}`, ip: null };
}

/** Runs one command's work with the instance's services, closing the store afterwards. */
export async function withCliContext(work: (context: CliContext) => Promise<void>): Promise<void> {
  const context = await openCliContext();
  try {
    await work(context);
  } finally {
    await context.close();
  }
}
