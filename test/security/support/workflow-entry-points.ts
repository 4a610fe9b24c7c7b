import * as grpc from '@grpc/grpc-js';
import type { JSONWebKeySet } from 'jose';
import { TokenAuthority } from '@tessera/sdk';
import { startWorkflowService } from '../../../src/services/workflow-service/start-workflow-service.ts';
import { createWorkflowClient } from '../../../src/services/workflow-service/workflow-client.ts';
import { workflowProtos } from '../../../src/services/workflow-service/workflow-protos.ts';
import { rememberSecret } from '../../support/secrets.ts';
import { serviceLogger } from '../../services/support/test-issuer.ts';
import type { EntryPointFactory, Outcome } from './jwt-entry-points.ts';

/** Verifier tuning shared by every entry: refetch keys on every unknown kid, so rows do not depend on order. */
const VERIFIER_TUNING = { unknownKidCooldownSeconds: 0 };

/**
 * The workflow service's first verifier: `GenerateToken` takes instance tokens from the configured
 * issuers (license authority, instances).
 */
export const workflowGenerateToken: EntryPointFactory = {
  name: 'workflow service gRPC GenerateToken',
  requiresTyp: false,
  takesAnyString: false,
  singleIssuer: false,
  async start(issuers) {
    const logger = serviceLogger('jwt-attacks-workflow');
    const service = await startWorkflowService({ port: 0, issuers, verifier: VERIFIER_TUNING, logger });
    const client = createWorkflowClient(service.address);
    return {
      name: this.name,
      audience: 'gitlab-duo-workflow-service',
      scopes: ['duo_workflow_generate_token'],
      refusedStatus: 'UNAUTHENTICATED',
      async present(token) {
        try {
          const issued = await client.generateToken(token, { globalUserId: 'security-suite-user' });
          rememberSecret(issued.token);
          return { accepted: true, status: 'OK' };
        } catch (error) {
          return grpcRefusal(error);
        }
      },
      async stop() {
        client.close();
        await service.close();
      },
    };
  },
};

/**
 * The workflow service's second verifier: `ExecuteWorkflow` takes only the user tokens the service's
 * own token authority signed (`iss` = `aud` = the service's name), never an instance token. In
 * production the verifier reads that authority's keys in-process; here the authority the service is
 * given names the first issuer under test as itself and reads that issuer's published key set, so the
 * attack rows can sign, rotate and forge for it. The verifier, its options and the gRPC interceptor
 * are the service's own.
 */
export const workflowExecuteWorkflow: EntryPointFactory = {
  name: 'workflow service gRPC ExecuteWorkflow (user tokens)',
  requiresTyp: false,
  takesAnyString: false,
  singleIssuer: true,
  async start(issuers) {
    const self = issuers[0]!.issuer;
    const real = await TokenAuthority.create({ issuer: self });
    const keysOfIssuer = async () =>
      (await (await fetch(`${self}/oauth/discovery/keys`)).json()) as JSONWebKeySet;
    const authority = Object.create(real, {
      asIssuer: { value: () => ({ issuer: self, jwks: keysOfIssuer }) },
    }) as TokenAuthority;
    const logger = serviceLogger('jwt-attacks-workflow-execute');
    const service = await startWorkflowService({ port: 0, issuers, serviceName: self, authority, logger });
    const Service = workflowProtos().tessera.workflow.v1.WorkflowService;
    const client = new Service(
      service.address,
      grpc.credentials.createInsecure(),
    ) as unknown as grpc.Client & {
      ExecuteWorkflow(metadata: grpc.Metadata): grpc.ClientDuplexStream<object, object>;
    };
    return {
      name: this.name,
      audience: self,
      scopes: ['duo_workflow_execute_workflow'],
      refusedStatus: 'UNAUTHENTICATED',
      present: (token) => openWorkflowStream(client, token),
      async stop() {
        client.close();
        await service.close();
      },
    };
  },
};

/**
 * Opens an `ExecuteWorkflow` stream with the token and starts a run: accepted once the service
 * answers with its first action (the stream is then cancelled), refused when the call fails.
 */
function openWorkflowStream(
  client: { ExecuteWorkflow(metadata: grpc.Metadata): grpc.ClientDuplexStream<object, object> },
  token: string,
): Promise<Outcome> {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
      stream.cancel();
    };
    const stream = client.ExecuteWorkflow(metadata);
    stream.on('data', () => settle({ accepted: true, status: 'OK' }));
    stream.on('end', () => settle({ accepted: true, status: 'OK' }));
    stream.on('error', (error) => {
      if (!settled) settle(grpcRefusal(error));
    });
    stream.write({
      startRequest: { workflowId: 'security-suite', goal: 'read the README', workflowDefinition: '' },
    });
  });
}

function grpcRefusal(error: unknown): Outcome {
  const failure = error as grpc.ServiceError;
  if (typeof failure.code !== 'number') throw error;
  return {
    accepted: false,
    status: grpc.status[failure.code]!,
    error: failure.code === grpc.status.UNAUTHENTICATED ? 'invalid_token' : undefined,
    message: failure.details,
  };
}
