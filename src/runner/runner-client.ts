import type { JobResult, JobSpec } from './job-spec.ts';

/** The runner's side of the runner API, over plain `fetch`. */
export class RunnerClient {
  readonly #base: string;

  constructor(
    url: string,
    private readonly token: string,
  ) {
    this.#base = url.replace(/\/+$/, '');
  }

  /** Asks for a job; the server holds the request open until one is ready or its long poll ends (null). */
  async requestJob(signal?: AbortSignal): Promise<JobSpec | null> {
    const response = await fetch(`${this.#base}/api/v4/jobs/request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        token: this.token,
        info: {
          name: 'tessera-runner',
          version: '0.1.0',
          executor: 'shell',
          shell: 'bash',
          features: { trace_checksum: false },
        },
      }),
      ...(signal ? { signal } : {}),
    });
    if (response.status === 204) return null;
    if (response.status === 201) return (await response.json()) as JobSpec;
    if (response.status === 403) throw new RunnerTokenRefused();
    throw new Error(`job request answered ${response.status}`);
  }

  /**
   * Sends the log from `offset` on. False when the server says the job is no longer running (canceled,
   * timed out): the caller stops the job.
   */
  async appendTrace(job: JobSpec, offset: number, chunk: string): Promise<boolean> {
    const response = await fetch(`${this.#base}/api/v4/jobs/${job.id}/trace`, {
      method: 'PATCH',
      headers: {
        'content-type': 'text/plain',
        'job-token': job.token,
        'content-range': `${offset}-${offset + chunk.length - 1}`,
      },
      body: chunk,
    });
    await response.arrayBuffer();
    return response.status !== 401 && response.status !== 403;
  }

  /** Reports how the job ended, with the whole (masked) log. */
  async finish(
    job: JobSpec,
    result: Exclude<JobResult, { state: 'aborted' }>,
    trace: string,
  ): Promise<number> {
    const response = await fetch(`${this.#base}/api/v4/jobs/${job.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        token: job.token,
        state: result.state,
        ...(result.state === 'failed' ? { failure_reason: result.failureReason } : {}),
        exit_code: result.exitCode,
        trace,
      }),
    });
    await response.arrayBuffer();
    return response.status;
  }
}

/** The server does not know the runner's token (deleted, or never registered). */
export class RunnerTokenRefused extends Error {
  constructor() {
    super('the server refused the runner token');
    this.name = 'RunnerTokenRefused';
  }
}
