import type { Job } from '../store/ci-schema.ts';
import type { Executor } from '../store/database.ts';
import { registry } from '../util/registry.ts';

/** Told about a job that has just ended (success, failed or canceled), after its transaction committed. */
export type JobFinishListener = (event: { db: Executor; job: Job }) => Promise<void>;

const listeners = registry<JobFinishListener>();

/**
 * Lets another module react when a CI job ends, however it ends (runner report, cancel, timeout):
 * e.g. an AI workflow ends with its job. Listeners run after the change is committed, so they see it;
 * a failing listener is logged by the caller and does not undo the job's end. Returns the function
 * that removes the listener again. Several instances may share a process: a listener answers only for
 * its own store (`event.db`).
 *
 * @example
 * const off = onJobFinished(async ({ db, job }) => { if (db === context.db) await endWorkflowOf(job); });
 */
export function onJobFinished(listener: JobFinishListener): () => void {
  return listeners.add(listener);
}

/**
 * Calls every listener for the ended job; resolves with the errors of those that failed.
 *
 * @example
 * const errors = await notifyJobFinished(deps.db, job);
 */
export async function notifyJobFinished(db: Executor, job: Job): Promise<unknown[]> {
  const outcomes = await Promise.allSettled(listeners.entries().map((listener) => listener({ db, job })));
  return outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
}
