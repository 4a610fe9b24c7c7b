import type { Actor } from '../audit/audit-log.ts';
import { ciDeps } from '../ci/ci-deps.ts';
import { TesseraError } from '../errors/tessera-error.ts';
import type { InstanceContext } from '../runtime/instance-context.ts';
import { findAiWorkflowById, updateAiWorkflow } from '../store/ai-workflows.repository.ts';
import type { AiWorkflow } from '../store/ai-workflows.tables.ts';
import { inTransaction } from '../store/in-transaction.ts';
import { issueCompositeToken } from '../tokens/oauth/composite-token.ts';
import { isoNow } from '../util/clock.ts';
import { endWorkflow } from './end-workflow.ts';
import { issueServiceToken } from './service-tokens.ts';
import type { RunPlan } from './start-checks.ts';
import { insertWorkflowPipeline } from './workflow-pipeline.ts';
import { sealContext, WORKFLOW_RUN_SECONDS, WORKFLOW_TOKEN_SCOPES } from './workflow-rules.ts';

/**
 * Creates a remote run's credentials and job, in this order, before anything runs:
 * 1. the composite OAuth token (service account + the user, `ai_workflows user:<id>`, 1 h, tagged
 *    with the workflow id; audited `oauth_access_token.created`);
 * 2. the workflow-service token from GenerateToken with the instance token (`workflow_id` set;
 *    audited `workflow_service_token.issued`), both tokens stored SecretBox-sealed on the workflow;
 * 3. the pipeline and its one job (audited `ci_pipeline.created`), visible to runners only once
 *    everything above exists.
 * If any step fails, what was made is undone (tokens revoked, job canceled, the workflow marked failed)
 * and the error is answered.
 *
 * @example
 * const running = await launchRun(context, workflow, plan, actor);
 */
export async function launchRun(
  context: InstanceContext,
  workflow: AiWorkflow,
  plan: RunPlan,
  actor: Actor,
): Promise<AiWorkflow> {
  const deps = ciDeps(context);
  const { box } = context.secrets;
  try {
    const composite = await issueCompositeToken(context, {
      serviceAccount: plan.identity.serviceAccount,
      user: plan.user,
      scopes: [...WORKFLOW_TOKEN_SCOPES, `user:${plan.user.id}`],
      expiresInSeconds: WORKFLOW_RUN_SECONDS,
      applicationId: plan.identity.application.id,
      workflowId: String(workflow.id),
      actor,
    });
    await issueServiceToken(
      context,
      actor,
      {
        instance: plan.instance,
        userId: plan.user.id,
        workflowDefinition: workflow.definition,
        workflowId: workflow.id,
        via: 'remote_workflow',
      },
      async (trx, issued) => {
        await updateAiWorkflow(trx, workflow.id, {
          oauth_grant_id: composite.grantId,
          oauth_token_id: composite.tokenId,
          oauth_token_sealed: box.seal(composite.accessToken, sealContext('oauth_token', workflow.id)),
          service_token_sealed: box.seal(issued.token, sealContext('service_token', workflow.id)),
          service_token_expires_at: new Date(issued.expiresAt * 1000).toISOString(),
          updated_at: isoNow(context.clock),
        });
      },
    );
    await inTransaction(context.db, async (trx) => {
      const { pipeline, job } = await insertWorkflowPipeline(trx, deps, actor, {
        workflow,
        serviceAccount: plan.identity.serviceAccount,
        ref: plan.ref,
        sha: plan.sha,
      });
      await updateAiWorkflow(trx, workflow.id, {
        pipeline_id: pipeline.id,
        job_id: job.id,
        updated_at: isoNow(context.clock),
      });
    });
    deps.queue.notify();
  } catch (error) {
    await endWorkflow(context, workflow, {
      status: 'failed',
      reason: 'the run could not be started',
      actor,
      job: 'now',
    }).catch((undoError: unknown) =>
      context.logger.error({ err: undoError, workflowId: workflow.id }, 'undoing a failed start failed'),
    );
    if (error instanceof TesseraError) throw error;
    context.logger.error({ err: error, workflowId: workflow.id }, 'a workflow run could not be started');
    throw new TesseraError('unavailable', '503 Service Unavailable - the workflow could not be started');
  }
  return (await findAiWorkflowById(context.db, workflow.id))!;
}
