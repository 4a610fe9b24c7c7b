import { SYSTEM_ACTOR } from '../audit/audit-log.ts';
import { ciDeps } from '../ci/ci-deps.ts';
import { cancelJob } from '../ci/finish-job.ts';
import type { InstanceContext } from '../runtime/instance-context.ts';
import {
  listEndedWorkflowsWithLiveJobs,
  listOverdueAiWorkflows,
  listPendingServiceRevocations,
} from '../store/ai-workflows.repository.ts';
import { findJobById } from '../store/ci-jobs.repository.ts';
import { addSeconds } from '../util/clock.ts';
import { endWorkflow, JOB_EXIT_GRACE_MS } from './end-workflow.ts';
import { revokeServiceTokens } from './service-tokens.ts';

/**
 * Times out every workflow still created or running past its deadline (`timed_out`), with everything
 * ending does: tokens revoked, job canceled. Returns how many it ended.
 *
 * @example
 * await timeOutOverdueWorkflows(context, context.clock.now());
 */
export async function timeOutOverdueWorkflows(context: InstanceContext, now: Date): Promise<number> {
  let ended = 0;
  for (const workflow of await listOverdueAiWorkflows(context.db, now.toISOString())) {
    const done = await endWorkflow(context, workflow, {
      status: 'timed_out',
      reason: 'the workflow ran past its deadline',
      actor: SYSTEM_ACTOR,
      job: 'now',
    });
    if (done) ended++;
  }
  return ended;
}

/**
 * Retries `RevokeWorkflowTokens` for ended workflows whose revocation the workflow service has not
 * confirmed (it was down, or the instance token had lapsed). Returns how many it now confirmed.
 *
 * @example
 * await retryServiceRevocations(context);
 */
export async function retryServiceRevocations(context: InstanceContext): Promise<number> {
  let confirmed = 0;
  for (const workflow of await listPendingServiceRevocations(context.db)) {
    if (await revokeServiceTokens(context, workflow, SYSTEM_ACTOR)) confirmed++;
  }
  return confirmed;
}

/**
 * Cancels the jobs of ended workflows that are still alive after the exit grace (the process that
 * would have canceled them after the grace restarted meanwhile). Returns how many it canceled.
 *
 * @example
 * await cancelLingeringWorkflowJobs(context, context.clock.now());
 */
export async function cancelLingeringWorkflowJobs(context: InstanceContext, now: Date): Promise<number> {
  const deps = ciDeps(context);
  const before = addSeconds(now, -JOB_EXIT_GRACE_MS / 1000).toISOString();
  let canceled = 0;
  for (const workflow of await listEndedWorkflowsWithLiveJobs(context.db, before)) {
    const job = workflow.job_id === null ? undefined : await findJobById(context.db, workflow.job_id);
    if (job && (await cancelJob(deps, job, SYSTEM_ACTOR))) canceled++;
  }
  return canceled;
}
