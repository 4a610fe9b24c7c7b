import { compare, interleavedRequestsPerSecond, type BenchResult } from '../lib/measure.ts';
import { benchInstance } from '../lib/bench-instance.ts';

/**
 * `GET /api/v4/user` authenticated by a PAT, against `GET /-/health` on the same server, in
 * alternating slices: what one digest, a cache hit (or one indexed lookup) and the user presenter
 * cost per request. Target ≥ 0.7 (#21).
 */
export async function patAuthentication(): Promise<BenchResult> {
  const instance = await benchInstance();
  try {
    const figures = await interleavedRequestsPerSecond(
      { url: `${instance.url}/api/v4/user`, headers: { 'PRIVATE-TOKEN': instance.token } },
      { url: `${instance.url}/-/health` },
    );
    return compare(
      'GET /api/v4/user with a PAT',
      'req/s',
      figures.rps,
      'GET /-/health (same server)',
      figures.baselineRps,
      0.7,
      { p50_ms: figures.p50, p99_ms: figures.p99, ratio_min: figures.ratioMin, ratio_max: figures.ratioMax },
    );
  } finally {
    await instance.stop();
  }
}
