import { Command } from 'commander';
import { runRunner } from '../runner/run-runner.ts';

/**
 * `tessera runner run --url … --token …`: a shell runner. The token may come from
 * `TESSERA_RUNNER_TOKEN` instead, which keeps it out of the process list.
 */
export function runnerCommand(): Command {
  const runner = new Command('runner').description('run CI jobs with the shell executor');
  runner
    .command('run')
    .description('ask the instance for jobs and run them with bash until stopped')
    .requiredOption('--url <url>', 'the instance URL')
    .option('--token <glrt-token>', 'the runner authentication token (or TESSERA_RUNNER_TOKEN)')
    .option('--builds-dir <dir>', 'where jobs get their working directories')
    .option('--once', 'run one job, then exit')
    .action(async (options: { url: string; token?: string; buildsDir?: string; once?: boolean }) => {
      const token = options.token ?? process.env.TESSERA_RUNNER_TOKEN;
      if (!token) throw new Error('a runner token is needed: --token or TESSERA_RUNNER_TOKEN');
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      process.once('SIGTERM', () => controller.abort());
      await runRunner({
        url: options.url,
        token,
        ...(options.buildsDir ? { buildsDir: options.buildsDir } : {}),
        ...(options.once ? { maxJobs: 1 } : {}),
        signal: controller.signal,
        log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
      });
    });
  return runner;
}
