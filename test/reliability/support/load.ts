import autocannon from 'autocannon';

/** Seconds each load phase runs: 10 in CI (the default), longer with `TESSERA_RELIABILITY_SECONDS=30`. */
export const LOAD_SECONDS = Number(process.env.TESSERA_RELIABILITY_SECONDS ?? 10);

export interface LoadResult {
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Status code → count, for the failure message. */
  statuses: Record<string, number>;
}

/**
 * Drives `requests` round-robin over `connections` connections for `seconds`, as autocannon does,
 * and reports every answer that was not a 2xx.
 */
export async function driveLoad(options: {
  url: string;
  seconds: number;
  connections?: number;
  requests: autocannon.Request[];
}): Promise<LoadResult> {
  const statuses: Record<string, number> = {};
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections ?? 8,
        duration: options.seconds,
        requests: options.requests,
      },
      (error, finished) => (error ? reject(error) : resolve(finished)),
    );
    instance.on('response', (_client: unknown, statusCode: number) => {
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    });
  });
  return {
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
