import { recordAudit } from '../audit/audit-log.ts';
import { actorFor, type ActingUser } from '../identity/acting-user.ts';
import type { InstanceContext } from '../runtime/instance-context.ts';
import { insertAiWorkflow } from '../store/ai-workflows.repository.ts';
import type { AiWorkflow } from '../store/ai-workflows.tables.ts';
import { inTransaction } from '../store/in-transaction.ts';
import { addSeconds } from '../util/clock.ts';
import { launchRun } from './launch-run.ts';
import { checkStart, type StartRequest } from './start-checks.ts';
import { WORKFLOW_RUN_SECONDS } from './workflow-rules.ts';

/**
 * `POST /api/v4/ai/duo_workflows/workflows`: checks everything first (nothing is created when a check
 * refuses), then records the workflow (`ai_workflow.created`) and, for a remote workflow, launches its
 * run — composite token, workflow-service token, pipeline with the job — all before the job can
 * start. A local workflow is only the record: the IDE brings its own tokens.
 *
 * @example
 * const workflow = await startWorkflow(context, { user, ip }, { projectId: 7, goal: 'Document the API', definition: 'software_development' });
 */
export async function startWorkflow(
  context: InstanceContext,
  acting: ActingUser,
  request: StartRequest,
): Promise<AiWorkflow> {
  const checked = await checkStart(context, acting.user, request);
  const actor = actorFor(acting);
  const now = context.clock.now();
  const workflow = await inTransaction(context.db, async (trx) => {
    const created = await insertAiWorkflow(trx, {
      project_id: checked.project.id,
      user_id: acting.user.id,
      service_account_id: checked.plan?.identity.serviceAccount.id ?? null,
      goal: checked.goal,
      definition: checked.definition,
      environment: checked.environment,
      status: 'created',
      pipeline_id: null,
      job_id: null,
      oauth_grant_id: null,
      oauth_token_id: null,
      oauth_token_sealed: null,
      service_token_sealed: null,
      service_token_expires_at: null,
      service_revocation_pending: 0,
      deadline_at: addSeconds(now, WORKFLOW_RUN_SECONDS).toISOString(),
      end_reason: null,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
      finished_at: null,
    });
    await recordAudit(trx, context.clock, actor, {
      action: 'ai_workflow.created',
      entity: { type: 'project', id: created.project_id },
      target: { type: 'AiWorkflow', id: created.id },
      details: {
        workflow_id: created.id,
        definition: created.definition,
        environment: created.environment,
      },
    });
    return created;
  });
  return checked.plan ? launchRun(context, workflow, checked.plan, actor) : workflow;
}
