import { Command } from 'commander';
import { runExecutor } from '../services/executor/run-executor.ts';

/**
 * `tessera executor run [--local]`: runs one workflow with the tokens in its environment (a workflow's
 * CI job sets them; see docs/flows/workflow-service.md). Tokens are read from variables only, never
 * from the command line, where `ps` would show them. Exits 1 with one line on stderr on failure.
 */
export function executorCommand(): Command {
  const command = new Command('executor').description('The workflow executor, as a workflow CI job runs it');
  command
    .command('run')
    .description('Run the workflow named by the DUO_WORKFLOW_* variables to its end')
    .option('--local', "run in the current git checkout with the person's own OAuth token (an IDE's run)")
    .action(async (options: { local?: boolean }) => {
      await runExecutor({
        env: process.env,
        local: options.local === true,
        cwd: process.cwd(),
        log: (line) => process.stdout.write(`${line}\n`),
      });
    });
  return command;
}
