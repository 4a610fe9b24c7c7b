import autocannon from 'autocannon';

/** One measured figure and the baseline it is compared with, both from the same run. */
export interface BenchResult {
  name: string;
  unit: string;
  value: number;
  baselineName: string;
  baseline: number;
  ratio: number;
  /** The ratio the benchmark should reach; 0 for an anchor (measured for context, no target). */
  target: number;
  /** For latencies: the ratio must stay at or below the target instead of reaching it. */
  lowerIsBetter?: boolean;
  extra?: Record<string, number>;
}

/** Whether a result meets its target ('anchor' when it has none). */
export function verdictOf(result: BenchResult): 'meets' | 'BELOW' | 'ABOVE' | 'anchor' {
  if (result.target === 0) return 'anchor';
  if (result.lowerIsBetter) return result.ratio <= result.target ? 'meets' : 'ABOVE';
  return result.ratio >= result.target ? 'meets' : 'BELOW';
}

/** The `p`-th percentile (0–100) of samples, by nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The middle value (the mean of the middle two for an even count). */
export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs of the whole 1 M-row scale case and other slow cases only with `--full`. */
export const FULL = process.argv.includes('--full');

/** Short mode (CI): enough to prove the benchmark runs and writes its results, not to measure. */
export const SHORT = process.argv.includes('--short') || process.env.BENCH_SHORT === '1';

export const DURATION_SECONDS = SHORT ? 1 : 8;

/** Requests per second that autocannon sustains against one URL; non-2xx answers are a failure. */
export async function requestsPerSecond(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ rps: number; p50: number; p99: number }> {
  const result = await autocannon({
    url,
    headers,
    connections: 16,
    pipelining: 1,
    duration: DURATION_SECONDS,
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors during the benchmark`,
    );
  }
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

/** One side of an interleaved HTTP comparison: a URL and the headers each request carries. */
export interface HttpSide {
  url: string;
  headers?: Record<string, string>;
}

/** Rounds of an interleaved comparison, and how long each side runs in a round. */
export const SLICE_ROUNDS = SHORT ? 2 : 6;
export const SLICE_SECONDS = SHORT ? 0.5 : 1.5;

/**
 * Requests per second of two endpoints measured in alternating slices (ABBA order, after a warm-up of
 * each), so load that comes and goes on a shared machine hits both sides alike. Each side's figure is
 * the median of its slices; `ratioMin`/`ratioMax` are the spread of the rounds' own ratios.
 */
export async function interleavedRequestsPerSecond(
  measured: HttpSide,
  baseline: HttpSide,
): Promise<{
  rps: number;
  baselineRps: number;
  ratioMin: number;
  ratioMax: number;
  p50: number;
  p99: number;
}> {
  const slice = async (side: HttpSide, duration: number) => {
    const result = await autocannon({
      url: side.url,
      headers: side.headers ?? {},
      connections: 16,
      pipelining: 1,
      duration,
    });
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(
        `${side.url}: ${result.non2xx} non-2xx answers and ${result.errors} errors during the benchmark`,
      );
    }
    return result;
  };
  await slice(baseline, 0.5);
  await slice(measured, 0.5);
  const rounds: Array<{ measured: number; baseline: number; p50: number; p99: number }> = [];
  for (let round = 0; round < SLICE_ROUNDS; round++) {
    const measuredFirst = round % 2 === 1;
    const first = await slice(measuredFirst ? measured : baseline, SLICE_SECONDS);
    const second = await slice(measuredFirst ? baseline : measured, SLICE_SECONDS);
    const [m, b] = measuredFirst ? [first, second] : [second, first];
    rounds.push({
      measured: m.requests.average,
      baseline: b.requests.average,
      p50: m.latency.p50,
      p99: m.latency.p99,
    });
  }
  const ratios = rounds.map((r) => r.measured / r.baseline);
  return {
    // Medians, so that one slice hit by someone else's burst does not move the figure.
    rps: median(rounds.map((r) => r.measured)),
    baselineRps: median(rounds.map((r) => r.baseline)),
    ratioMin: Math.min(...ratios),
    ratioMax: Math.max(...ratios),
    p50: percentile(
      rounds.map((r) => r.p50),
      50,
    ),
    p99: Math.max(...rounds.map((r) => r.p99)),
  };
}

/** Operations per second of an async function, run back to back for the benchmark's duration. */
export async function operationsPerSecond(operation: () => Promise<unknown>): Promise<number> {
  // Warm up so JIT and caches do not count against whoever runs first.
  for (let i = 0; i < 50; i++) await operation();
  const deadline = performance.now() + DURATION_SECONDS * 1000;
  let count = 0;
  const started = performance.now();
  while (performance.now() < deadline) {
    await operation();
    count++;
  }
  return count / ((performance.now() - started) / 1000);
}

export function compare(
  name: string,
  unit: string,
  value: number,
  baselineName: string,
  baseline: number,
  target: number,
  extra?: Record<string, number>,
  lowerIsBetter?: boolean,
): BenchResult {
  return {
    name,
    unit,
    value,
    baselineName,
    baseline,
    ratio: value / baseline,
    target,
    ...(lowerIsBetter ? { lowerIsBetter } : {}),
    extra,
  };
}
