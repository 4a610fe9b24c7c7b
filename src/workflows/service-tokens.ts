import { recordAudit, type Actor } from '../audit/audit-log.ts';
import type { InstanceContext } from '../runtime/instance-context.ts';
import { updateAiWorkflow } from '../store/ai-workflows.repository.ts';
import type { AiWorkflow } from '../store/ai-workflows.tables.ts';
import type { Trx } from '../store/database.ts';
import { inTransaction } from '../store/in-transaction.ts';
import { globalUserIdOf, instanceCredentials, type InstanceCredentials } from './instance-credentials.ts';
import { grpcWorkflowServiceGateway, type WorkflowServiceGateway } from './workflow-service-gateway.ts';

/**
 * The gateway to the workflow service this instance is configured with (`TESSERA_WORKFLOW_SERVICE_URL`).
 *
 * @example
 * await workflowServiceOf(context).revokeWorkflowTokens(instanceToken, call, '12');
 */
export function workflowServiceOf(context: Pick<InstanceContext, 'settings'>): WorkflowServiceGateway {
  return grpcWorkflowServiceGateway(context.settings.cloudConnector.workflowServiceAddress);
}

/** A workflow-service user token just minted: the one copy of the secret, and its headers. */
export interface IssuedServiceToken {
  token: string;
  /** Epoch seconds. */
  expiresAt: number;
  instanceId: string;
  realm: string;
  globalUserId: string;
}

/**
 * Asks the workflow service (GenerateToken, with the instance token) for a user token for `userId`,
 * tagged with the workflow when one is given, and audits it (`workflow_service_token.issued`, never
 * the token) in one transaction with whatever `alsoRecord` stores — the sealed copy a remote run
 * hands to its job. The service keeps no list of its tokens: it refuses them after
 * {@link revokeServiceTokens}, or at expiry.
 *
 * @example
 * const issued = await issueServiceToken(context, actor, { instance, userId, workflowDefinition: 'chat', via: 'direct_access' });
 */
export async function issueServiceToken(
  context: InstanceContext,
  actor: Actor,
  request: {
    instance: InstanceCredentials;
    userId: number;
    workflowDefinition: string;
    workflowId?: number;
    via: 'remote_workflow' | 'direct_access';
  },
  alsoRecord?: (trx: Trx, issued: IssuedServiceToken) => Promise<void>,
): Promise<IssuedServiceToken> {
  const { instance } = request;
  const globalUserId = globalUserIdOf(context, instance.call.instanceId, request.userId);
  const minted = await workflowServiceOf(context).generateToken(
    instance.token,
    { ...instance.call, globalUserId },
    {
      workflowDefinition: request.workflowDefinition,
      ...(request.workflowId !== undefined ? { workflowId: String(request.workflowId) } : {}),
    },
  );
  const issued: IssuedServiceToken = { ...minted, ...instance.call, globalUserId };
  await inTransaction(context.db, async (trx) => {
    await recordAudit(trx, context.clock, actor, {
      action: 'workflow_service_token.issued',
      entity: { type: 'User', id: request.userId },
      target: {
        type: request.workflowId !== undefined ? 'AiWorkflow' : 'WorkflowService',
        id: request.workflowId ?? null,
      },
      details: {
        user_id: request.userId,
        workflow_definition: request.workflowDefinition,
        expires_at: new Date(minted.expiresAt * 1000).toISOString(),
        via: request.via,
        ...(request.workflowId !== undefined ? { workflow_id: request.workflowId } : {}),
      },
    });
    await alsoRecord?.(trx, issued);
  });
  context.metrics.tokensIssued.inc({ type: 'workflow_service_token' });
  return issued;
}

/**
 * Tells the workflow service to refuse every token of the workflow from now on (RevokeWorkflowTokens)
 * and clears the workflow's pending flag with an audit event (`workflow_service_token.revoked`). When
 * the service or the instance token is unavailable the flag stays set and housekeeping retries; the
 * tokens expire within the hour regardless. True when the service confirmed.
 *
 * @example
 * if (!(await revokeServiceTokens(context, workflow, SYSTEM_ACTOR))) logger.info('retried later');
 */
export async function revokeServiceTokens(
  context: InstanceContext,
  workflow: AiWorkflow,
  actor: Actor,
): Promise<boolean> {
  try {
    const instance = await instanceCredentials(context);
    const revoked = await workflowServiceOf(context).revokeWorkflowTokens(
      instance.token,
      instance.call,
      String(workflow.id),
    );
    await inTransaction(context.db, async (trx) => {
      await updateAiWorkflow(trx, workflow.id, { service_revocation_pending: 0 });
      await recordAudit(trx, context.clock, actor, {
        action: 'workflow_service_token.revoked',
        entity: { type: 'User', id: workflow.user_id },
        target: { type: 'AiWorkflow', id: workflow.id },
        details: { workflow_id: workflow.id, newly_revoked: revoked > 0 },
      });
    });
    return true;
  } catch (error) {
    context.logger.warn(
      { workflowId: workflow.id, reason: error instanceof Error ? error.message : 'unknown' },
      'workflow-service token revocation pending; housekeeping retries it',
    );
    return false;
  }
}
