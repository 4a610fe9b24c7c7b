import type { Job, JobStatus, PipelineStatus } from '../store/ci-schema.ts';
import { listPipelineJobs, transitionJob } from '../store/ci-jobs.repository.ts';
import { findPipelineById, updatePipeline } from '../store/ci-pipelines.repository.ts';
import type { Executor } from '../store/database.ts';

const FINAL: readonly JobStatus[] = ['success', 'failed', 'canceled', 'skipped'];

/** What happens next in a pipeline, decided from its jobs alone. */
export interface PipelineStep {
  /** Jobs of the next stage, to become pending. */
  promote: number[];
  /** Jobs that will never run because an earlier stage did not succeed. */
  skip: number[];
  status: PipelineStatus;
}

/**
 * Stages run in order: the next stage's jobs become pending once every job before them succeeded;
 * a failure or cancellation skips what is left. The pipeline is running while any job is, then
 * failed, canceled or successful by its jobs' outcome.
 */
export function nextPipelineStep(jobs: readonly Pick<Job, 'id' | 'stage_idx' | 'status'>[]): PipelineStep {
  const finished = jobs.filter((j) => FINAL.includes(j.status));
  const active = jobs.filter((j) => j.status === 'pending' || j.status === 'running');
  const waiting = jobs.filter((j) => j.status === 'created');
  const started = finished.length > 0 || jobs.some((j) => j.status === 'running');
  if (active.length > 0) return { promote: [], skip: [], status: started ? 'running' : 'pending' };
  const failed = finished.some((j) => j.status === 'failed');
  const canceled = finished.some((j) => j.status === 'canceled');
  if (waiting.length > 0 && !failed && !canceled) {
    const stage = Math.min(...waiting.map((j) => j.stage_idx));
    return {
      promote: waiting.filter((j) => j.stage_idx === stage).map((j) => j.id),
      skip: [],
      status: 'running',
    };
  }
  const skip = waiting.map((j) => j.id);
  const status: PipelineStatus = failed
    ? 'failed'
    : canceled
      ? 'canceled'
      : finished.some((j) => j.status === 'success')
        ? 'success'
        : 'skipped';
  return { promote: [], skip, status };
}

/** Applies {@link nextPipelineStep} to a pipeline in the store; true when jobs became pending. */
export async function advancePipeline(db: Executor, pipelineId: number, now: string): Promise<boolean> {
  const pipeline = await findPipelineById(db, pipelineId);
  if (!pipeline) return false;
  const step = nextPipelineStep(await listPipelineJobs(db, pipelineId));
  for (const id of step.promote)
    await transitionJob(db, id, ['created'], { status: 'pending', queued_at: now });
  for (const id of step.skip)
    await transitionJob(db, id, ['created'], { status: 'skipped', finished_at: now });
  const final = ['success', 'failed', 'canceled', 'skipped'].includes(step.status);
  if (step.status !== pipeline.status || (final && !pipeline.finished_at)) {
    await updatePipeline(db, pipelineId, {
      status: step.status,
      ...(step.status === 'running' && !pipeline.started_at ? { started_at: now } : {}),
      ...(final ? { finished_at: now } : {}),
    });
  }
  return step.promote.length > 0;
}
