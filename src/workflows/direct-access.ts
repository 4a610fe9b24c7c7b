import { notFound, TesseraError } from '../errors/tessera-error.ts';
import { actorFor, type ActingUser } from '../identity/acting-user.ts';
import type { InstanceContext } from '../runtime/instance-context.ts';
import { findAiWorkflowById, updateAiWorkflow } from '../store/ai-workflows.repository.ts';
import type { AiWorkflow } from '../store/ai-workflows.tables.ts';
import { instanceCredentials } from './instance-credentials.ts';
import { issueServiceToken } from './service-tokens.ts';
import { checkPerson, checkSeat } from './start-checks.ts';
import { ACTIVE_STATUSES } from './workflow-rules.ts';

/** The answer of `POST /api/v4/ai/duo_workflows/direct_access`, in the platform's shape. */
export interface DirectAccess {
  duo_workflow_service: {
    base_url: string;
    token: string;
    token_expires_at: number;
    headers: {
      'x-gitlab-instance-id': string;
      'x-gitlab-realm': string;
      'x-gitlab-global-user-id': string;
    };
  };
}

/**
 * A workflow-service token for an IDE running a workflow locally for its user: a person with a seat
 * gets a GenerateToken token minted with the instance token (audited, never stored), with the
 * address and headers to call the service. Given `workflow_id` (one of the person's own unfinished
 * workflows), the token is tagged with it, and ending that workflow revokes it.
 *
 * @example
 * const access = await issueDirectAccess(context, { user, ip }, { workflowId: 12 });
 */
export async function issueDirectAccess(
  context: InstanceContext,
  acting: ActingUser,
  request: { workflowId?: unknown },
): Promise<DirectAccess> {
  const workflow = await taggedWorkflow(context, acting, request.workflowId);
  if (workflow) await checkPerson(context, acting.user, workflow.project_id);
  else {
    if (acting.user.bot_kind !== null) {
      throw new TesseraError('forbidden', '403 Forbidden - only a person can run an AI workflow');
    }
    await checkSeat(context, acting.user);
  }
  const instance = await instanceCredentials(context);
  const issued = await issueServiceToken(
    context,
    actorFor(acting),
    {
      instance,
      userId: acting.user.id,
      workflowDefinition: workflow?.definition ?? '',
      ...(workflow ? { workflowId: workflow.id } : {}),
      via: 'direct_access',
    },
    async (trx, minted) => {
      if (workflow) {
        await updateAiWorkflow(trx, workflow.id, {
          service_token_expires_at: new Date(minted.expiresAt * 1000).toISOString(),
        });
      }
    },
  );
  return {
    duo_workflow_service: {
      base_url: context.settings.cloudConnector.workflowServiceAddress,
      token: issued.token,
      token_expires_at: issued.expiresAt,
      headers: {
        'x-gitlab-instance-id': issued.instanceId,
        'x-gitlab-realm': issued.realm,
        'x-gitlab-global-user-id': issued.globalUserId,
      },
    },
  };
}

async function taggedWorkflow(
  context: InstanceContext,
  acting: ActingUser,
  raw: unknown,
): Promise<AiWorkflow | undefined> {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const id = typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : raw;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
    throw new TesseraError('bad_request', '400 Bad request - workflow_id does not have a valid value');
  }
  const workflow = await findAiWorkflowById(context.db, id);
  if (!workflow || workflow.user_id !== acting.user.id) throw notFound('Workflow');
  if (!ACTIVE_STATUSES.includes(workflow.status)) {
    throw new TesseraError('conflict', `409 Conflict - the workflow is ${workflow.status}`);
  }
  return workflow;
}
