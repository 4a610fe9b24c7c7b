import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJob } from './run-job.ts';
import { RunnerClient, RunnerTokenRefused } from './runner-client.ts';

export interface RunnerOptions {
  url: string;
  token: string;
  /** Where jobs get their working directories. */
  buildsDir?: string;
  /** Stop after this many jobs (the `--once` flag is 1); unlimited when absent. */
  maxJobs?: number;
  /** Stops the loop (between jobs, or while waiting for one). */
  signal?: AbortSignal;
  /** One line per event; never a token. */
  log?: (line: string) => void;
}

/** Pause after a failed request before asking again. */
const RETRY_MS = 3000;

/**
 * The shell runner (`tessera runner run`): asks the instance for jobs (the server long-polls), runs
 * each with bash, and reports back, until stopped or `maxJobs` are done.
 *
 * @example
 * await runRunner({ url: 'http://127.0.0.1:8080', token: 'glrt-…', maxJobs: 1 });
 */
export async function runRunner(options: RunnerOptions): Promise<number> {
  const client = new RunnerClient(options.url, options.token);
  const log = options.log ?? (() => {});
  const buildsDir = options.buildsDir ?? join(tmpdir(), 'tessera-builds');
  let done = 0;
  while (!options.signal?.aborted && (options.maxJobs === undefined || done < options.maxJobs)) {
    let job;
    try {
      job = await client.requestJob(options.signal);
    } catch (error) {
      if (options.signal?.aborted) break;
      if (error instanceof RunnerTokenRefused) throw error;
      log(`job request failed (${(error as Error).message}); retrying`);
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      continue;
    }
    if (!job) continue;
    log(`job ${job.id} (${job.job_info.name}) received`);
    const result = await runJob(client, job, { buildsDir });
    log(
      `job ${job.id} ${result.state === 'aborted' ? 'stopped: no longer running on the server' : `finished: ${result.state}`}`,
    );
    done++;
  }
  return done;
}
