import * as grpc from '@grpc/grpc-js';
import {
  workflowProtos,
  type Action,
  type ClientEvent,
  type GenerateTokenResponse,
  type RevokeWorkflowTokensResponse,
  type StartWorkflowRequest,
} from './workflow-protos.ts';

/** The generated client's methods, typed by hand (proto-loader clients are untyped). */
interface WorkflowServiceClient extends grpc.Client {
  GenerateToken(
    request: object,
    metadata: grpc.Metadata,
    callback: (error: grpc.ServiceError | null, response?: GenerateTokenResponse) => void,
  ): void;
  RevokeWorkflowTokens(
    request: object,
    metadata: grpc.Metadata,
    callback: (error: grpc.ServiceError | null, response?: RevokeWorkflowTokensResponse) => void,
  ): void;
  ExecuteWorkflow(metadata: grpc.Metadata): grpc.ClientDuplexStream<ClientEvent, Action>;
}

/** The X-Gitlab-* values every call carries as metadata. */
export interface WorkflowCallContext {
  instanceId?: string;
  realm?: string;
  globalUserId?: string;
}

/**
 * A client of the workflow service, as an instance, an executor or `tessera workflow-client` uses it:
 * exchange an instance token for a user token (optionally bound to a workflow), run a workflow with
 * it, and revoke a workflow's tokens when it ends.
 *
 * @example
 * ```ts
 * const client = createWorkflowClient('127.0.0.1:50052');
 * const { token } = await client.generateToken(instanceToken, { globalUserId: 'u1' });
 * const actions = await client.executeWorkflow(token, {}, { workflowId: '1', goal: 'fix the build', workflowDefinition: '' });
 * client.close();
 * ```
 */
export function createWorkflowClient(address: string) {
  const Service = workflowProtos().tessera.workflow.v1.WorkflowService;
  const client = new Service(address, grpc.credentials.createInsecure()) as unknown as WorkflowServiceClient;

  return {
    /** `GenerateToken` with an instance token; a `workflowId` binds the user token to that workflow. */
    generateToken(
      token: string | undefined,
      context: WorkflowCallContext,
      workflowDefinition = '',
      workflowId = '',
    ) {
      return new Promise<GenerateTokenResponse>((resolve, reject) =>
        client.GenerateToken(
          { workflowDefinition, workflowId },
          metadataFor(token, context),
          (error, response) => (error ? reject(error) : resolve(response!)),
        ),
      );
    },

    /** `RevokeWorkflowTokens` with an instance token: resolves with 1 (newly revoked) or 0. */
    revokeWorkflowTokens(token: string | undefined, context: WorkflowCallContext, workflowId: string) {
      return new Promise<number>((resolve, reject) =>
        client.RevokeWorkflowTokens({ workflowId }, metadataFor(token, context), (error, response) =>
          error ? reject(error) : resolve(response!.revoked),
        ),
      );
    },

    /** The raw `ExecuteWorkflow` stream, for a client that executes actions itself (the executor). */
    openExecuteWorkflow(token: string | undefined, context: WorkflowCallContext) {
      return client.ExecuteWorkflow(metadataFor(token, context));
    },

    /**
     * Runs a workflow to its end, answering each requested action with `answer` (default: a note that
     * this client does not execute anything), and resolves with every action received.
     */
    executeWorkflow(
      token: string | undefined,
      context: WorkflowCallContext,
      start: StartWorkflowRequest,
      hooks: { answer?: (action: Action) => string; onAction?: (action: Action) => void } = {},
    ) {
      return new Promise<Action[]>((resolve, reject) => {
        const actions: Action[] = [];
        const stream = client.ExecuteWorkflow(metadataFor(token, context));
        stream.on('data', (action: Action) => {
          actions.push(action);
          hooks.onAction?.(action);
          if (action.finished) stream.end();
          else if (!action.plan) {
            const response = hooks.answer?.(action) ?? 'not executed: this client only prints the plan';
            stream.write({ actionResponse: { requestId: action.requestId, response } });
          }
        });
        stream.on('error', reject);
        stream.on('end', () => resolve(actions));
        stream.write({ startRequest: start });
      });
    },

    close: () => client.close(),
  };
}

function metadataFor(token: string | undefined, context: WorkflowCallContext): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  metadata.set('x-gitlab-authentication-type', 'oidc');
  if (context.instanceId) metadata.set('x-gitlab-instance-id', context.instanceId);
  if (context.realm) metadata.set('x-gitlab-realm', context.realm);
  if (context.globalUserId) metadata.set('x-gitlab-global-user-id', context.globalUserId);
  return metadata;
}
