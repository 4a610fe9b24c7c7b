import { secretsOf, type JobResult, type JobSpec } from './job-spec.ts';
import { LogMasker } from './log-masker.ts';
import type { RunnerClient } from './runner-client.ts';
import { executeJob } from './shell-executor.ts';

/** How often the log is sent while a job runs; each send is also how a cancel is noticed. */
export const TRACE_INTERVAL_MS = 1000;

/**
 * Runs one job: executes it, masks every secret in its output, streams the log to the server, stops
 * the script when the server says the job no longer runs, and reports the outcome with the full log.
 */
export async function runJob(
  client: RunnerClient,
  job: JobSpec,
  options: { buildsDir: string },
): Promise<JobResult> {
  const masker = new LogMasker(secretsOf(job));
  let log = '';
  let sent = 0;
  const abort = new AbortController();
  let sending: Promise<void> = Promise.resolve();
  const sendLog = () => {
    sending = sending.then(async () => {
      if (log.length === sent || abort.signal.aborted) return;
      const chunk = log.slice(sent);
      const stillRunning = await client.appendTrace(job, sent, chunk).catch(() => true);
      if (stillRunning) sent += chunk.length;
      else abort.abort();
    });
    return sending;
  };
  const timer = setInterval(() => void sendLog(), TRACE_INTERVAL_MS);
  let result: JobResult;
  try {
    result = await executeJob(job, {
      buildsDir: options.buildsDir,
      signal: abort.signal,
      output: (text) => {
        log += masker.push(text);
      },
    });
  } catch (error) {
    log += `\nERROR: ${(error as Error).message}\n`;
    result = { state: 'failed', failureReason: 'runner_system_failure', exitCode: null };
  } finally {
    clearInterval(timer);
  }
  log += masker.flush();
  await sending;
  if (result.state !== 'aborted') await client.finish(job, result, log);
  return result;
}
