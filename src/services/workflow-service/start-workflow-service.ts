import * as grpc from '@grpc/grpc-js';
import {
  createVerifier,
  TokenAuthority,
  type IssuerConfig,
  type UserTokenSigner,
  type VerifierOptions,
} from '@tessera/sdk';
import { createGrpcAuthInterceptor } from '@tessera/sdk/grpc';
import { RoleReadiness } from '../../runtime/role-readiness.ts';
import { executeWorkflowHandler, type WorkflowLogger } from './execute-workflow.handler.ts';
import { generateTokenHandler, USER_TOKEN_LIFETIME_SECONDS } from './generate-token.handler.ts';
import { healthService } from './health-service.ts';
import { revokeWorkflowTokensHandler } from './revoke-workflow-tokens.handler.ts';
import { WorkflowRevocations, type WorkflowRevocationList } from './workflow-revocations.ts';
import { HEALTH_SERVICE_PATH, WORKFLOW_SERVICE_PATH, workflowProtos } from './workflow-protos.ts';

/** Unit primitives the workflow service honours: the scopes its user tokens may carry. */
export const WORKFLOW_SERVICE_UNIT_PRIMITIVES = [
  'duo_agent_platform',
  'duo_workflow_execute_workflow',
  'duo_workflow_generate_token',
] as const;

export interface WorkflowServiceOptions {
  host?: string;
  /** 0 picks a free port; the running service reports the real one. */
  port: number;
  /** Issuers of instance tokens (license authority, SaaS instance, self-managed instances). */
  issuers: readonly IssuerConfig[];
  /** `aud` of the instance tokens it accepts; default `gitlab-duo-workflow-service`. */
  audience?: string;
  /** Signs user tokens as this name (`iss` = `aud`); default the audience. */
  serviceName?: string;
  /**
   * Signs the user tokens, and names the keys ExecuteWorkflow accepts them by. Default: a
   * TokenAuthority with a fresh key generated at start and kept in memory only (one process). The
   * workflow-service role gives one over the signing keys in the shared store.
   */
  authority?: UserTokenSigner;
  /**
   * Where revocations are kept. Default: this process's memory. The workflow-service role gives one
   * kept in the shared store and mirrored in every replica.
   */
  revocations?: WorkflowRevocationList;
  unitPrimitives?: readonly string[];
  /** Verifier tuning (cooldowns, cache size, clock) for instance tokens. */
  verifier?: Omit<VerifierOptions, 'issuers' | 'audience'>;
  logger?: WorkflowLogger & { warn(fields: object, message: string): void };
  /**
   * What the standard health service reports (SERVING only while ready); default: ready once bound.
   * Pass one to mark ready when the whole process is, and draining on SIGTERM.
   */
  readiness?: RoleReadiness;
}

export interface RunningWorkflowService {
  /** `host:port` to dial. */
  address: string;
  port: number;
  authority: UserTokenSigner;
  readiness: RoleReadiness;
  close(): Promise<void>;
}

/**
 * Starts the workflow service over gRPC (plaintext: run it behind TLS termination, or on loopback).
 *
 * Two verifiers, so the two kinds of token cannot stand in for each other: `GenerateToken` accepts
 * instance tokens from the configured issuers only; `ExecuteWorkflow` accepts only the service's own
 * user tokens (an instance token there is UNAUTHENTICATED: wrong issuer). `RevokeWorkflowTokens` is
 * authenticated like `GenerateToken`. Keys and revocations are in this process unless `authority`
 * and `revocations` say otherwise (the role passes shared ones, so that it runs as several replicas).
 * The standard health service (`grpc.health.v1.Health`, Check and Watch) is public.
 *
 * @example
 * ```ts
 * const service = await startWorkflowService({ port: 0, issuers: [{ issuer: 'https://gitlab.example.com' }] });
 * console.log(service.address);
 * ```
 */
export async function startWorkflowService(options: WorkflowServiceOptions): Promise<RunningWorkflowService> {
  const audience = options.audience ?? 'gitlab-duo-workflow-service';
  const serviceName = options.serviceName ?? audience;
  const authority = options.authority ?? (await TokenAuthority.create({ issuer: serviceName }));
  const logger = options.logger ?? { info: () => undefined, warn: () => undefined };
  const onKeyFetchError = (error: Error, issuer: string) =>
    logger.warn({ issuer, err: error }, 'cannot fetch issuer keys');
  const instanceTokens = createVerifier({
    onKeyFetchError,
    ...options.verifier,
    issuers: options.issuers,
    audience,
  });
  const userTokens = createVerifier({ issuers: [authority.asIssuer()], audience: serviceName });
  const revocations =
    options.revocations ??
    new WorkflowRevocations({
      tokenLifetimeSeconds: Math.max(USER_TOKEN_LIFETIME_SECONDS, authority.maxLifetimeSeconds),
    });
  const instanceTokenScopes = ['duo_agent_platform', 'duo_workflow_generate_token'];

  const interceptor = createGrpcAuthInterceptor({
    verifier: instanceTokens,
    methods: {
      [`${WORKFLOW_SERVICE_PATH}/GenerateToken`]: { scopes: instanceTokenScopes },
      [`${WORKFLOW_SERVICE_PATH}/RevokeWorkflowTokens`]: { scopes: instanceTokenScopes },
      [`${WORKFLOW_SERVICE_PATH}/ExecuteWorkflow`]: {
        scopes: ['duo_workflow_execute_workflow', 'duo_agent_platform'],
        verifier: userTokens,
      },
      [`${HEALTH_SERVICE_PATH}/Check`]: 'public',
      [`${HEALTH_SERVICE_PATH}/Watch`]: 'public',
    },
  });
  const server = new grpc.Server({ interceptors: [interceptor] });
  const protos = workflowProtos();
  server.addService(protos.tessera.workflow.v1.WorkflowService.service, {
    GenerateToken: generateTokenHandler({
      authority,
      unitPrimitives: options.unitPrimitives ?? WORKFLOW_SERVICE_UNIT_PRIMITIVES,
      revocations,
    }),
    RevokeWorkflowTokens: revokeWorkflowTokensHandler({ revocations, logger }),
    ExecuteWorkflow: executeWorkflowHandler({ logger, revocations }),
  });
  const readiness = options.readiness ?? new RoleReadiness();
  const health = healthService(readiness, [WORKFLOW_SERVICE_PATH.slice(1)]);
  server.addService(protos.grpc.health.v1.Health.service, health.handlers);

  const host = options.host ?? '127.0.0.1';
  const dialHost = host.includes(':') ? `[${host}]` : host;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${dialHost}:${options.port}`,
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    ),
  );
  if (!options.readiness) readiness.markReady();
  logger.info({ port }, 'workflow service listening');
  return {
    address: `${dialHost}:${port}`,
    port,
    authority,
    readiness,
    close: () =>
      new Promise<void>((resolve) => {
        health.close();
        // Give in-flight calls a moment to finish, then cut whatever is left.
        const timer = setTimeout(() => server.forceShutdown(), 2000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
