import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { CloudConnectorClaims } from '@tessera/sdk';
import { cloudConnectorClaims } from '@tessera/sdk/grpc';
import { MAX_WORKFLOW_ID_LENGTH, type WorkflowRevocationList } from './workflow-revocations.ts';
import type { RevokeWorkflowTokensRequest, RevokeWorkflowTokensResponse } from './workflow-protos.ts';

/**
 * `RevokeWorkflowTokens`: the interceptor has verified an instance token exactly as for
 * `GenerateToken`; this revokes the user tokens that instance generated for the workflow and cuts the
 * workflow's open streams. Keyed by the caller's own instance: naming another instance's workflow id
 * revokes nothing of theirs.
 */
export function revokeWorkflowTokensHandler(options: {
  revocations: WorkflowRevocationList;
  logger: { info(fields: object, message: string): void; warn(fields: object, message: string): void };
}) {
  return (
    call: ServerUnaryCall<RevokeWorkflowTokensRequest, RevokeWorkflowTokensResponse>,
    callback: sendUnaryData<RevokeWorkflowTokensResponse>,
  ): void => {
    const { workflowId } = call.request;
    if (workflowId.trim() === '' || workflowId.length > MAX_WORKFLOW_ID_LENGTH) {
      callback({ code: status.INVALID_ARGUMENT, details: 'workflow_id must be 1 to 255 characters' });
      return;
    }
    const instance = callerInstance(cloudConnectorClaims(call));
    options.revocations.revoke(instance, workflowId).then(
      (revoked) => {
        options.logger.info({ workflowId, instance, revoked }, 'workflow tokens revoked');
        callback(null, { revoked: revoked ? 1 : 0 });
      },
      (error: unknown) => {
        const full = error instanceof RangeError;
        if (!full) options.logger.warn({ workflowId, instance }, 'workflow tokens could not be revoked');
        // Either way the caller retries: the instance keeps the revocation pending until confirmed.
        callback({
          code: full ? status.RESOURCE_EXHAUSTED : status.UNAVAILABLE,
          details: full
            ? 'too many revoked workflows right now; retry later'
            : 'the revocation could not be recorded right now; retry later',
        });
      },
    );
  };
}

/** The instance a verified token speaks for: `gitlab_instance_id` on user tokens, `sub` on instance tokens. */
export function callerInstance(claims: CloudConnectorClaims): string {
  return claims.gitlab_instance_id ?? claims.sub ?? '';
}
