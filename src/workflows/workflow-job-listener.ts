import { SYSTEM_ACTOR } from '../audit/audit-log.ts';
import type { JobFinishListener } from '../ci/job-finish-listeners.ts';
import type { InstanceContext } from '../runtime/instance-context.ts';
import { findAiWorkflowByJobId } from '../store/ai-workflows.repository.ts';
import type { Job } from '../store/ci-schema.ts';
import { endWorkflow } from './end-workflow.ts';
import { WORKFLOW_JOB_NAME } from './workflow-pipeline.ts';
import { ACTIVE_STATUSES } from './workflow-rules.ts';

/**
 * Ends a workflow when its job ends without the executor having ended it first (a crash, a kill, a
 * cancel in the pipeline view, the job timeout): `canceled` for a canceled job, `failed` otherwise —
 * and with it every token of the run is revoked. A workflow the executor already finished is left
 * as it is. Answers only for its own instance's store.
 *
 * @example
 * const off = onJobFinished(workflowJobListener(context));
 */
export function workflowJobListener(context: InstanceContext): JobFinishListener {
  return async ({ db, job }) => {
    if (db !== context.db || job.name !== WORKFLOW_JOB_NAME) return;
    const workflow = await findAiWorkflowByJobId(db, job.id);
    if (!workflow || !ACTIVE_STATUSES.includes(workflow.status)) return;
    await endWorkflow(context, workflow, {
      status: job.status === 'canceled' ? 'canceled' : 'failed',
      reason: reasonOf(job),
      actor: SYSTEM_ACTOR,
      job: 'now',
    });
  };
}

function reasonOf(job: Job): string {
  if (job.status === 'canceled') return 'its job was canceled';
  if (job.status === 'success') return 'its job ended before the workflow finished';
  return `its job failed (${job.failure_reason ?? 'unknown reason'})`;
}
