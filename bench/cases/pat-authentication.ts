import { compare, requestsPerSecond, type BenchResult } from '../lib/measure.ts';
import { benchInstance } from '../lib/bench-instance.ts';

/**
 * `GET /api/v4/user` authenticated by a PAT, against `GET /-/health` on the same server: what one
 * digest, one indexed lookup (or a cache hit) and the user presenter cost per request. Target ≥ 0.6.
 */
export async function patAuthentication(): Promise<BenchResult> {
  const instance = await benchInstance();
  try {
    const baseline = await requestsPerSecond(`${instance.url}/-/health`);
    const measured = await requestsPerSecond(`${instance.url}/api/v4/user`, {
      'PRIVATE-TOKEN': instance.token,
    });
    return compare(
      'GET /api/v4/user with a PAT',
      'req/s',
      measured.rps,
      'GET /-/health (same server)',
      baseline.rps,
      0.6,
      { p50_ms: measured.p50, p99_ms: measured.p99 },
    );
  } finally {
    await instance.stop();
  }
}
