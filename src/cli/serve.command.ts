import { Command } from 'commander';
import pino from 'pino';
import { loadSettings } from '../config/settings.ts';
import { createLogger } from '../observability/logger.ts';
import { startInstance } from '../runtime/start-instance.ts';
import { seedDemo } from '../runtime/seed-demo.ts';

const SERVABLE = ['instance', 'all'] as const;

/** `tessera serve <role>`: runs one role, or every role (`all`, what `npm start` runs) with a seeded demo. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('run a role: instance | all')
    .argument('<role>', `one of ${SERVABLE.join(', ')}`)
    .action(async (role: string) => {
      if (!(SERVABLE as readonly string[]).includes(role)) {
        throw new Error(`unknown role "${role}"; expected one of ${SERVABLE.join(', ')}`);
      }
      const settings = loadSettings();
      // Logs go to stderr; stdout carries only what the operator must read (URLs, one-time seed secrets).
      const logger = createLogger({ level: settings.logLevel, destination: pino.destination(2) });
      const instance = await startInstance(settings, { logger });
      const lines = [`instance listening on ${instance.url} (external URL ${settings.externalUrl})`];
      if (role === 'all') lines.push(...(await seedDemo(instance.context)));
      process.stdout.write(`\n${lines.join('\n')}\n\nTessera is ready.\n`);

      const shutdown = async (signal: string) => {
        logger.info({ signal }, 'shutting down');
        await instance.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void shutdown('SIGINT'));
      process.once('SIGTERM', () => void shutdown('SIGTERM'));
    });
}
