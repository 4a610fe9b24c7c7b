import { recordAudit } from '../audit/audit-log.ts';
import { TesseraError } from '../errors/tessera-error.ts';
import { actorFor, type ActingUser } from '../identity/acting-user.ts';
import type { InstanceContext } from '../runtime/instance-context.ts';
import { transitionAiWorkflow } from '../store/ai-workflows.repository.ts';
import type { AiWorkflow } from '../store/ai-workflows.tables.ts';
import { inTransaction } from '../store/in-transaction.ts';
import { addSeconds } from '../util/clock.ts';
import { launchRun } from './launch-run.ts';
import { revokeServiceTokens } from './service-tokens.ts';
import { checkPerson, checkRemoteRun } from './start-checks.ts';
import { RESUMABLE_STATUSES, WORKFLOW_RUN_SECONDS } from './workflow-rules.ts';

/**
 * `resume`: a failed, canceled or timed-out workflow runs again. The person's access and seat are
 * checked again; a remote workflow gets a FRESH run — new composite token, new workflow-service token,
 * new pipeline and job — while the earlier run's tokens stay revoked. The workflow service refuses
 * tokens of this workflow issued up to its revocation, so the previous revocation must have been
 * confirmed (503 otherwise) and the fresh token is asked for only from the next second on.
 *
 * @example
 * const resumed = await resumeWorkflow(context, { user, ip }, workflow);
 */
export async function resumeWorkflow(
  context: InstanceContext,
  acting: ActingUser,
  workflow: AiWorkflow,
): Promise<AiWorkflow> {
  const project = await checkPerson(context, acting.user, workflow.project_id);
  const plan = workflow.environment === 'remote' ? await checkRemoteRun(context, acting.user, project) : null;
  const actor = actorFor(acting);
  if (plan) {
    if (workflow.service_revocation_pending === 1 && !(await revokeServiceTokens(context, workflow, actor))) {
      throw new TesseraError(
        'unavailable',
        "503 Service Unavailable - the workflow service has not yet confirmed revoking the previous run's tokens; try again shortly",
      );
    }
    await untilNextSecond();
  }
  const now = context.clock.now();
  const resumed = await inTransaction(context.db, async (trx) => {
    const changed = await transitionAiWorkflow(trx, workflow.id, RESUMABLE_STATUSES, {
      status: 'running',
      pipeline_id: null,
      job_id: null,
      oauth_grant_id: null,
      oauth_token_id: null,
      service_token_expires_at: null,
      deadline_at: addSeconds(now, WORKFLOW_RUN_SECONDS).toISOString(),
      end_reason: null,
      finished_at: null,
      updated_at: now.toISOString(),
    });
    if (!changed) return undefined;
    await recordAudit(trx, context.clock, actor, {
      action: 'ai_workflow.resumed',
      entity: { type: 'project', id: changed.project_id },
      target: { type: 'AiWorkflow', id: changed.id },
      details: { workflow_id: changed.id, from: workflow.status, environment: changed.environment },
    });
    return changed;
  });
  if (!resumed) {
    throw new TesseraError(
      'conflict',
      '409 Conflict - the workflow changed meanwhile; it cannot be resumed now',
    );
  }
  return plan ? launchRun(context, resumed, plan, actor) : resumed;
}

/** Waits for the wall clock (the workflow service's, not the instance's test clock) to reach a new second. */
function untilNextSecond(): Promise<void> {
  const wait = 1000 - (Date.now() % 1000) + 5;
  return new Promise((resolve) => setTimeout(resolve, wait));
}
