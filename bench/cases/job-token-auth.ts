import { benchInstance } from '../lib/bench-instance.ts';
import { compare, interleavedRequestsPerSecond, type BenchResult } from '../lib/measure.ts';

/**
 * `GET /api/v4/job` with a running job's token (`JOB-TOKEN`), against `GET /-/health` on the same
 * server, in alternating slices: a digest, the verified-job cache (the job and user lookup on a miss)
 * and the job presenter's lookups, per request. Target ≥ 0.5.
 */
export async function jobTokenAuthentication(): Promise<BenchResult> {
  const instance = await benchInstance();
  try {
    const figures = await interleavedRequestsPerSecond(
      { url: `${instance.url}/api/v4/job`, headers: { 'JOB-TOKEN': instance.jobToken } },
      { url: `${instance.url}/-/health` },
    );
    return compare(
      'GET /api/v4/job with a job token',
      'req/s',
      figures.rps,
      'GET /-/health (same server)',
      figures.baselineRps,
      0.5,
      { p50_ms: figures.p50, p99_ms: figures.p99, ratio_min: figures.ratioMin, ratio_max: figures.ratioMax },
    );
  } finally {
    await instance.stop();
  }
}
