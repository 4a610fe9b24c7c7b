import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { issueUserToken, SdkError, type UserTokenSigner } from '@tessera/sdk';
import { cloudConnectorClaims } from '@tessera/sdk/grpc';
import { callerInstance } from './revoke-workflow-tokens.handler.ts';
import { MAX_WORKFLOW_ID_LENGTH, type WorkflowRevocationList } from './workflow-revocations.ts';
import type { GenerateTokenRequest, GenerateTokenResponse } from './workflow-protos.ts';

/** The service's user tokens live one hour. */
export const USER_TOKEN_LIFETIME_SECONDS = 3600;

/**
 * `GenerateToken`: the interceptor has verified an instance token with `duo_agent_platform` or
 * `duo_workflow_generate_token`; this mints the user-level token for the user named in
 * `x-gitlab-global-user-id` — scopes = the caller's ∩ the service's unit primitives, the caller's
 * instance (`sub`) and realm carried along, signed by the service's own TokenAuthority. A
 * `workflow_id` in the request binds the token to that workflow (claim `workflow_id`), so that
 * `RevokeWorkflowTokens` can end it.
 */
export function generateTokenHandler(options: {
  authority: UserTokenSigner;
  unitPrimitives: readonly string[];
  revocations: WorkflowRevocationList;
}) {
  return (
    call: ServerUnaryCall<GenerateTokenRequest, GenerateTokenResponse>,
    callback: sendUnaryData<GenerateTokenResponse>,
  ): void => {
    const userId = call.metadata.get('x-gitlab-global-user-id')[0];
    if (typeof userId !== 'string' || userId.trim() === '') {
      callback({ code: status.INVALID_ARGUMENT, details: 'x-gitlab-global-user-id metadata is required' });
      return;
    }
    const { workflowDefinition, workflowId } = call.request;
    if (workflowId.length > MAX_WORKFLOW_ID_LENGTH) {
      callback({ code: status.INVALID_ARGUMENT, details: 'workflow_id is too long' });
      return;
    }
    const caller = cloudConnectorClaims(call);
    const instance = callerInstance(caller);
    const issue = async () => {
      const generation = workflowId ? await options.revocations.generationOf(instance, workflowId) : 0;
      const signed = await issueUserToken(options.authority, {
        caller,
        userId,
        grantableScopes: options.unitPrimitives,
        expiresInSeconds: USER_TOKEN_LIFETIME_SECONDS,
        extraClaims: {
          ...(workflowDefinition ? { workflow_definition: workflowDefinition } : {}),
          ...(workflowId ? { workflow_id: workflowId } : {}),
        },
      });
      // Noted before the token is handed out, so every replica knows it is fresh by the time it is used.
      if (workflowId && generation !== 0) {
        await options.revocations.noteGenerated(instance, workflowId, signed.claims.jti!, generation);
      }
      return signed;
    };
    issue().then(
      ({ token, expiresAt }) => callback(null, { token, expiresAt }),
      (error: unknown) => {
        const refused = error instanceof SdkError && error.code === 'insufficient_scope';
        // Otherwise the keys or the revocations could not be read (a store outage): worth a retry.
        callback({
          code: refused ? status.PERMISSION_DENIED : status.UNAVAILABLE,
          details: refused ? error.message : 'the token could not be issued right now; retry later',
        });
      },
    );
  };
}
