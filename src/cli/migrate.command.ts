import { Command } from 'commander';
import { loadSettings } from '../config/settings.ts';
import { openDatabase } from '../store/database.ts';
import { migrateToLatest } from '../store/migrations/index.ts';
import { output } from './cli-context.ts';

/** `tessera migrate`: brings the store's schema up to date without starting a server. */
export function migrateCommand(): Command {
  return new Command('migrate')
    .description('apply pending store migrations')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const db = openDatabase(loadSettings().databaseUrl);
      try {
        const applied = await migrateToLatest(db);
        output(options.json, { applied }, () =>
          applied.length === 0 ? 'store is up to date' : `applied: ${applied.join(', ')}`,
        );
      } finally {
        await db.destroy();
      }
    });
}
