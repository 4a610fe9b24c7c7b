import { SEALED } from '../cloud/instance/cloud-connector-deps.ts';
import { globalUserId } from '../cloud/instance/global-user-id.ts';
import { cloudConnectorState } from '../cloud/instance/instance-identity.ts';
import { forbidden } from '../errors/tessera-error.ts';
import type { InstanceContext } from '../runtime/instance-context.ts';
import type { WorkflowServiceCall } from './workflow-service-gateway.ts';

/** Unit primitives that let the instance token call GenerateToken and RevokeWorkflowTokens. */
const WORKFLOW_GRANTING_SCOPES = ['duo_agent_platform', 'duo_workflow_generate_token'];

/** The instance token the instance holds now, and the metadata that goes with it. */
export interface InstanceCredentials {
  token: string;
  call: WorkflowServiceCall;
}

/**
 * The stored instance token (synced from the license authority, or self-issued on SaaS), opened from
 * the store the way `tessera cloud instance-token` does, with the instance's id and realm — or a 403
 * when the instance has none that is unexpired and covers the workflow service.
 *
 * @example
 * const { token, call } = await instanceCredentials(context);
 */
export async function instanceCredentials(
  context: Pick<InstanceContext, 'db' | 'clock' | 'secrets' | 'settings'>,
): Promise<InstanceCredentials> {
  const state = await cloudConnectorState(context.db, context.clock);
  const expired =
    state.instance_token_encrypted === null ||
    state.instance_token_expires_at === null ||
    new Date(state.instance_token_expires_at) <= context.clock.now();
  if (expired) {
    throw forbidden(
      '403 Forbidden - this instance has no valid Cloud Connector access (license not activated, revoked or expired, or not synchronised)',
    );
  }
  const scopes = JSON.parse(state.instance_token_scopes) as string[];
  if (!WORKFLOW_GRANTING_SCOPES.some((scope) => scopes.includes(scope))) {
    throw forbidden("403 Forbidden - the instance's entitlement does not cover AI workflows");
  }
  return {
    token: context.secrets.box.open(state.instance_token_encrypted!, SEALED.instanceToken),
    call: { instanceId: state.instance_uuid, realm: context.settings.realm },
  };
}

/**
 * `x-gitlab-global-user-id` of a user of this instance.
 *
 * @example
 * globalUserIdOf(context, instanceId, user.id); // 43 base64url characters
 */
export function globalUserIdOf(
  context: Pick<InstanceContext, 'secrets'>,
  instanceId: string,
  userId: number,
): string {
  return globalUserId(context.secrets.digester, instanceId, userId);
}
