import { Command, CommanderError } from 'commander';
import { SettingsError } from '../config/settings.ts';
import { TesseraError } from '../errors/tessera-error.ts';
import { cloudCommand } from './cloud.command.ts';
import { executorCommand } from './executor.command.ts';
import { keysCommand } from './keys.command.ts';
import { licensesCommand } from './licenses.command.ts';
import { migrateCommand } from './migrate.command.ts';
import { oauthCommand } from './oauth.command.ts';
import { runnerCommand } from './runner.command.ts';
import { registryCommand } from './registry.command.ts';
import { seatsCommand } from './seats.command.ts';
import { serveCommand } from './serve.command.ts';
import { tokensCommand } from './tokens.command.ts';
import { usersCommand } from './users.command.ts';
import { workflowClientCommand } from './workflow-client.command.ts';
import { versionLine } from '../runtime/version.ts';

const program = new Command('tessera')
  .description('Tessera: a credential authority for a DevOps platform and its AI services')
  .version(versionLine(), '-V, --version', 'print the version of Tessera and of the GitLab API it follows')
  .exitOverride()
  .addCommand(serveCommand())
  .addCommand(migrateCommand())
  .addCommand(keysCommand())
  .addCommand(registryCommand())
  .addCommand(tokensCommand())
  .addCommand(usersCommand())
  .addCommand(workflowClientCommand())
  .addCommand(cloudCommand())
  .addCommand(licensesCommand())
  .addCommand(seatsCommand())
  .addCommand(oauthCommand())
  .addCommand(runnerCommand())
  .addCommand(executorCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  // One clear line, never a stack: settings errors name the setting, domain errors are client-safe.
  const message =
    error instanceof SettingsError || error instanceof TesseraError || error instanceof Error
      ? error.message
      : String(error);
  process.stderr.write(`tessera: ${message}\n`);
  process.exit(1);
}
