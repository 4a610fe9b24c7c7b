import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { issueUserToken, SdkError, type TokenAuthority } from '@tessera/sdk';
import { cloudConnectorClaims } from '@tessera/sdk/grpc';
import type { GenerateTokenRequest, GenerateTokenResponse } from './workflow-protos.ts';

/** The service's user tokens live one hour. */
const USER_TOKEN_LIFETIME_SECONDS = 3600;

/**
 * `GenerateToken`: the interceptor has verified an instance token with `duo_agent_platform` or
 * `duo_workflow_generate_token`; this mints the user-level token for the user named in
 * `x-gitlab-global-user-id` — scopes = the caller's ∩ the service's unit primitives, the caller's
 * instance (`sub`) and realm carried along, signed by the service's own TokenAuthority.
 */
export function generateTokenHandler(options: {
  authority: TokenAuthority;
  unitPrimitives: readonly string[];
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
    const workflowDefinition = call.request.workflowDefinition;
    issueUserToken(options.authority, {
      caller: cloudConnectorClaims(call),
      userId,
      grantableScopes: options.unitPrimitives,
      expiresInSeconds: USER_TOKEN_LIFETIME_SECONDS,
      extraClaims: workflowDefinition ? { workflow_definition: workflowDefinition } : undefined,
    }).then(
      ({ token, expiresAt }) => callback(null, { token, expiresAt }),
      (error: unknown) => {
        const refused = error instanceof SdkError && error.code === 'insufficient_scope';
        callback({
          code: refused ? status.PERMISSION_DENIED : status.INTERNAL,
          details: refused ? error.message : 'the token could not be issued',
        });
      },
    );
  };
}
