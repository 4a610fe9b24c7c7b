/**
 * gRPC adapter of the SDK: `import { createGrpcAuthInterceptor } from '@tessera/sdk/grpc'`.
 * Needs `@grpc/grpc-js` ≥ 1.10 (an optional peer dependency), whose servers take interceptors.
 * @module
 */
import {
  ResponderBuilder,
  ServerInterceptingCall,
  ServerListenerBuilder,
  status,
  type Metadata,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import { requireScopes, type CloudConnectorClaims } from './claims.ts';
import type { Verifier } from './create-verifier.ts';
import { SdkError } from './errors.ts';
import { bearerToken, checkGitlabHeaders } from './gitlab-headers.ts';

/**
 * Who may call one method: a token from `verifier` (default: the interceptor's) granting **any one**
 * of `scopes` (an empty list: any valid token).
 *
 * @example
 * ```ts
 * const policy: GrpcMethodPolicy = { scopes: ['duo_workflow_execute_workflow', 'duo_agent_platform'], verifier: userTokens };
 * ```
 */
export interface GrpcMethodPolicy {
  scopes: readonly string[];
  verifier?: Verifier;
}

/**
 * Settings of {@link createGrpcAuthInterceptor}. Methods are named by their full path
 * (`/package.Service/Method`); a method missing from the map is refused (fail closed).
 *
 * @example
 * ```ts
 * const options: GrpcAuthOptions = {
 *   verifier,
 *   methods: {
 *     '/tessera.workflow.v1.WorkflowService/GenerateToken': { scopes: ['duo_workflow_generate_token'] },
 *     '/grpc.health.v1.Health/Check': 'public',
 *   },
 * };
 * ```
 */
export interface GrpcAuthOptions {
  verifier: Verifier;
  methods: Readonly<Record<string, GrpcMethodPolicy | 'public'>>;
  /** Match `x-gitlab-realm` / `x-gitlab-instance-id` metadata against the token when sent; default true. */
  checkGitlabHeaders?: boolean;
}

// Claims travel from the interceptor to the handler on the request's Metadata object, which grpc-js
// hands unchanged to the handler as `call.metadata`; a WeakMap cannot be spoofed by a client.
const claimsByMetadata = new WeakMap<Metadata, CloudConnectorClaims>();

/**
 * A grpc-js server interceptor that authenticates each call from its `authorization: Bearer …`
 * metadata before the handler runs, answering `UNAUTHENTICATED` (no, bad or foreign token) or
 * `PERMISSION_DENIED` (missing scope, or a method without a policy). Handlers read the claims with
 * {@link cloudConnectorClaims}.
 *
 * An interceptor (rather than wrapped handlers) because grpc-js ≥ 1.10 buffers the request's messages
 * while metadata is processed asynchronously, so unary and streaming methods are covered alike.
 *
 * @example
 * ```ts
 * import * as grpc from '@grpc/grpc-js';
 * import { createGrpcAuthInterceptor } from '@tessera/sdk/grpc';
 *
 * const server = new grpc.Server({
 *   interceptors: [createGrpcAuthInterceptor({ verifier, methods: { '/pkg.Svc/Do': { scopes: ['duo_chat'] } } })],
 * });
 * ```
 */
export function createGrpcAuthInterceptor(options: GrpcAuthOptions): ServerInterceptor {
  const checkHeaders = options.checkGitlabHeaders ?? true;

  async function authorize(path: string, metadata: Metadata): Promise<void> {
    const policy = options.methods[path];
    if (policy === 'public') return;
    if (policy === undefined) {
      throw new SdkError('insufficient_scope', 'missing_scope', `no authorization policy for ${path}`);
    }
    const claims = await (policy.verifier ?? options.verifier).verify(
      bearerToken(first(metadata, 'authorization')),
    );
    if (checkHeaders) {
      checkGitlabHeaders(claims, {
        realm: first(metadata, 'x-gitlab-realm'),
        instanceId: first(metadata, 'x-gitlab-instance-id'),
      });
    }
    requireScopes(claims.scopes, policy.scopes, 'any');
    claimsByMetadata.set(metadata, claims);
  }

  return (method, call) => {
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        authorize(method.path, metadata).then(
          () => next(metadata),
          (error: unknown) => call.sendStatus(toStatus(error)),
        );
      })
      .build();
    const responder = new ResponderBuilder().withStart((next) => next(listener)).build();
    return new ServerInterceptingCall(call, responder);
  };
}

/**
 * The verified claims of a call that passed {@link createGrpcAuthInterceptor}.
 *
 * @example
 * ```ts
 * function generateToken(call, callback) {
 *   const claims = cloudConnectorClaims(call);
 *   callback(null, { subject: claims.sub });
 * }
 * ```
 */
export function cloudConnectorClaims(call: { metadata: Metadata }): CloudConnectorClaims {
  const claims = claimsByMetadata.get(call.metadata);
  if (claims === undefined) {
    throw new SdkError(
      'invalid_configuration',
      'configuration',
      'this call did not pass the Cloud Connector interceptor',
    );
  }
  return claims;
}

function toStatus(error: unknown): { code: status; details: string } {
  if (error instanceof SdkError) {
    const code =
      error.code === 'invalid_token'
        ? status.UNAUTHENTICATED
        : error.code === 'insufficient_scope'
          ? status.PERMISSION_DENIED
          : status.INTERNAL;
    return { code, details: error.message };
  }
  return { code: status.INTERNAL, details: 'authentication failed unexpectedly' };
}

function first(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}
