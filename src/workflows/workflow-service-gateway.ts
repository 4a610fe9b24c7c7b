import { TesseraError } from '../errors/tessera-error.ts';
import { createWorkflowClient } from '../services/workflow-service/workflow-client.ts';

/** The metadata every call to the workflow service carries besides the instance token. */
export interface WorkflowServiceCall {
  instanceId: string;
  realm: string;
  /** Names the user a token is minted for (GenerateToken only). */
  globalUserId?: string;
}

/**
 * What the instance asks of the workflow service, with the instance token: mint a user token for a
 * workflow, and revoke every token of a workflow. Errors are ours already (503 unreachable, 403
 * refused), never carrying a token.
 */
export interface WorkflowServiceGateway {
  /** `host:port` the jobs and IDEs dial. */
  readonly address: string;
  generateToken(
    instanceToken: string,
    call: WorkflowServiceCall,
    request: { workflowDefinition: string; workflowId?: string },
  ): Promise<{ token: string; expiresAt: number }>;
  /** Resolves with 1 when the service newly recorded the revocation, 0 when it already had it. */
  revokeWorkflowTokens(instanceToken: string, call: WorkflowServiceCall, workflowId: string): Promise<number>;
}

/** No call to the workflow service may hold a request (or a sweep) longer than this. */
const CALL_TIMEOUT_MS = 10_000;

// gRPC status codes (numbers, so that this module needs no gRPC import).
const UNAUTHENTICATED = 16;
const PERMISSION_DENIED = 7;
const INVALID_ARGUMENT = 3;

/**
 * The gateway over gRPC, one short-lived channel per call (calls are rare: a few per workflow).
 *
 * @example
 * const gateway = grpcWorkflowServiceGateway('127.0.0.1:50052');
 * const { token } = await gateway.generateToken(instanceToken, { instanceId, realm, globalUserId }, { workflowDefinition: 'chat' });
 */
export function grpcWorkflowServiceGateway(address: string): WorkflowServiceGateway {
  const withClient = async <T>(work: (client: ReturnType<typeof createWorkflowClient>) => Promise<T>) => {
    const client = createWorkflowClient(address);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 4 })), CALL_TIMEOUT_MS);
    });
    try {
      return await Promise.race([work(client), timeout]);
    } catch (error) {
      throw serviceError(error);
    } finally {
      clearTimeout(timer);
      client.close();
    }
  };
  return {
    address,
    generateToken: (instanceToken, call, request) =>
      withClient(async (client) => {
        const answer = await client.generateToken(
          instanceToken,
          call,
          request.workflowDefinition,
          request.workflowId ?? '',
        );
        return { token: answer.token, expiresAt: Number(answer.expiresAt) };
      }),
    revokeWorkflowTokens: (instanceToken, call, workflowId) =>
      withClient(async (client) =>
        Number(await client.revokeWorkflowTokens(instanceToken, call, workflowId)),
      ),
  };
}

/** The service's refusal or absence as one of our errors; its details never carry a token. */
function serviceError(error: unknown): TesseraError {
  const code = (error as { code?: unknown } | null)?.code;
  const details = String((error as { details?: unknown } | null)?.details ?? '').slice(0, 200);
  if (code === UNAUTHENTICATED || code === PERMISSION_DENIED) {
    return new TesseraError(
      'forbidden',
      `403 Forbidden - the workflow service refused this instance's token${details ? `: ${details}` : ''}`,
    );
  }
  if (code === INVALID_ARGUMENT) {
    return new TesseraError('bad_request', `400 Bad request - the workflow service refused: ${details}`);
  }
  return new TesseraError('unavailable', '503 Service Unavailable - the workflow service is not reachable');
}
