import { recordAudit, SYSTEM_ACTOR, type Actor } from '../audit/audit-log.ts';
import type { Job, JobStatus } from '../store/ci-schema.ts';
import { listPipelineJobs, listRunningJobs, transitionJob } from '../store/ci-jobs.repository.ts';
import { inTransaction } from '../store/in-transaction.ts';
import { publishEviction } from '../tokens/cache-evictions.ts';
import { forgetEndedJobs } from '../tokens/job/job-token-cache.ts';
import { jobDeadline } from '../tokens/job/job-token-state.ts';
import type { CiDeps } from './ci-deps.ts';
import { notifyJobFinished } from './job-finish-listeners.ts';
import { advancePipeline } from './pipeline-progress.ts';

/** How a job ended. `failureReason` uses the platform's words (`script_failure`, `job_execution_timeout`). */
export type JobOutcome =
  { status: 'success' } | { status: 'failed'; failureReason: string } | { status: 'canceled' };

const CANCELABLE: readonly JobStatus[] = ['created', 'pending', 'running'];

/** What ending a job needs: the store, the time, the queue to wake, a log for failed listeners. */
export type FinishJobDeps = Pick<CiDeps, 'db' | 'clock' | 'queue' | 'logger'>;

/**
 * Ends a job that is in one of `from` (compare-and-set: a cancel racing the runner's report has one
 * winner) and moves its pipeline on. A running job's token dies with it; the audit log says so in
 * the same transaction. Undefined when the job was no longer in `from`.
 */
export async function finishJob(
  deps: FinishJobDeps,
  job: Pick<Job, 'id' | 'pipeline_id' | 'project_id'>,
  outcome: JobOutcome,
  actor: Actor,
  from: readonly JobStatus[] = ['running'],
): Promise<Job | undefined> {
  const now = deps.clock.now().toISOString();
  const failureReason = outcome.status === 'failed' ? outcome.failureReason : null;
  const result = await inTransaction(deps.db, async (trx) => {
    const before = await trx
      .selectFrom('ci_jobs')
      .select('status')
      .where('id', '=', job.id)
      .executeTakeFirst();
    const finished = await transitionJob(trx, job.id, from, {
      status: outcome.status,
      failure_reason: failureReason,
      finished_at: now,
    });
    if (!finished) return undefined;
    if (before?.status === 'running') {
      await recordAudit(trx, deps.clock, actor, {
        action: 'ci_job_token.expired',
        entity: { type: 'ci_job', id: job.id },
        target: { type: 'project', id: job.project_id },
        details: { job_status: outcome.status, failure_reason: failureReason },
      });
    } else if (outcome.status === 'canceled') {
      await recordAudit(trx, deps.clock, actor, {
        action: 'ci_job.canceled',
        entity: { type: 'ci_job', id: job.id },
        target: { type: 'project', id: job.project_id },
      });
    }
    const promoted = await advancePipeline(trx, job.pipeline_id, now);
    return { finished, promoted };
  });
  // Before the finish is acknowledged: this process refuses the token on its very next request, and
  // the other replicas about as soon as the eviction reaches them.
  if (result) {
    forgetEndedJobs(deps.db, [job.id]);
    await publishEviction(deps.db, { jobIds: [job.id] });
  }
  if (result?.promoted) deps.queue.notify();
  if (result) {
    // After the commit, so listeners (an AI workflow ending with its job) see the job ended.
    void notifyJobFinished(deps.db, result.finished).then((errors) =>
      errors.forEach((error) =>
        deps.logger.warn({ err: error, jobId: job.id }, 'job finish listener failed'),
      ),
    );
  }
  return result?.finished;
}

/** Cancels a job that has not finished; its token, if it had one, dies at once. */
export function cancelJob(deps: FinishJobDeps, job: Job, actor: Actor): Promise<Job | undefined> {
  return finishJob(deps, job, { status: 'canceled' }, actor, CANCELABLE);
}

/** Cancels every unfinished job of the pipeline. */
export async function cancelPipelineJobs(deps: CiDeps, pipelineId: number, actor: Actor): Promise<void> {
  for (const job of await listPipelineJobs(deps.db, pipelineId)) {
    if (CANCELABLE.includes(job.status)) await cancelJob(deps, job, actor);
  }
}

/**
 * Fails every running job whose timeout has passed (`job_execution_timeout`). Their tokens are
 * already refused by then (validity is checked against the deadline); this records the outcome and
 * moves the pipelines on even when the runner is gone.
 */
export async function expireOverdueJobs(deps: CiDeps): Promise<number[]> {
  const now = deps.clock.now().getTime();
  const expired: number[] = [];
  for (const job of await listRunningJobs(deps.db)) {
    const deadline = jobDeadline(job);
    if (!deadline || deadline.getTime() > now) continue;
    const done = await finishJob(
      deps,
      job,
      { status: 'failed', failureReason: 'job_execution_timeout' },
      SYSTEM_ACTOR,
    );
    if (done) expired.push(job.id);
  }
  return expired;
}

/** Runs {@link expireOverdueJobs} every `intervalMs`; returns the function that stops it. */
export function startJobWatchdog(deps: CiDeps, intervalMs: number): () => void {
  const timer = setInterval(() => {
    expireOverdueJobs(deps).catch((error: unknown) =>
      deps.logger.warn({ err: error }, 'job watchdog failed'),
    );
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
