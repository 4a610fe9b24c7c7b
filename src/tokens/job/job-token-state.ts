import type { Job } from '../../store/ci-schema.ts';

/** When a running job's time is up: its start plus its timeout. */
export function jobDeadline(job: Pick<Job, 'started_at' | 'timeout_seconds'>): Date | undefined {
  if (!job.started_at) return undefined;
  return new Date(new Date(job.started_at).getTime() + job.timeout_seconds * 1000);
}

/**
 * Whether the job's token is valid now: exactly while the job runs and its timeout has not passed,
 * whether or not the watchdog has marked it timed out yet.
 */
export function isJobTokenLive(
  job: Pick<Job, 'status' | 'started_at' | 'timeout_seconds'>,
  now: Date,
): boolean {
  if (job.status !== 'running') return false;
  const deadline = jobDeadline(job);
  return deadline !== undefined && now.getTime() < deadline.getTime();
}
