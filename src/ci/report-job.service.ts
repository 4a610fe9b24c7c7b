import type { Actor } from '../audit/audit-log.ts';
import { constantTimeEqual } from '../crypto/secrets.ts';
import type { Job } from '../store/ci-schema.ts';
import { appendJobTrace, findJobById } from '../store/ci-jobs.repository.ts';
import type { CiDeps } from './ci-deps.ts';
import { finishJob, type JobOutcome } from './finish-job.ts';

/** Largest job log kept; the rest of a runaway log is dropped. */
export const MAX_TRACE_CHARS = 4 * 1024 * 1024;

/**
 * The running job a runner reports on, when `token` is that job's token. Runner reports are judged by
 * the job's state only, not its deadline: a runner that enforced the timeout itself may still say so
 * (the token is refused everywhere else from the deadline on).
 */
export async function reportingJob(deps: CiDeps, jobId: number, token: unknown): Promise<Job | undefined> {
  if (typeof token !== 'string' || token.length > 1024) return undefined;
  const job = await findJobById(deps.db, jobId);
  if (!job?.token_digest || !constantTimeEqual(job.token_digest, deps.digester.digest(token)))
    return undefined;
  return job;
}

/** Appends a chunk of log at `offset`; the new length, or undefined when the offset is not the current end. */
export async function appendTrace(
  deps: CiDeps,
  job: Job,
  offset: number,
  chunk: string,
): Promise<number | undefined> {
  const room = Math.max(0, MAX_TRACE_CHARS - offset);
  return appendJobTrace(deps.db, job.id, offset, chunk.slice(0, room));
}

/** The runner's final word on a job: its log (when given in full) and how it ended. */
export async function completeJob(
  deps: CiDeps,
  job: Job,
  report: { outcome: JobOutcome; fullTrace?: string },
  actor: Actor,
): Promise<Job | undefined> {
  if (report.fullTrace !== undefined && report.fullTrace.length > job.trace.length) {
    await appendTrace(deps, job, job.trace.length, report.fullTrace.slice(job.trace.length));
  }
  return finishJob(deps, job, report.outcome, actor);
}
