import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { createVerifier, SdkError, TokenAuthority, type IssuerConfig } from '@tessera/sdk';
import { buildAiGateway } from '../../../src/services/ai-gateway/build-ai-gateway.ts';
import { startWorkflowService } from '../../../src/services/workflow-service/start-workflow-service.ts';
import { createWorkflowClient } from '../../../src/services/workflow-service/workflow-client.ts';
import { rememberSecret } from '../../support/secrets.ts';
import { serviceLogger } from '../../services/support/test-issuer.ts';
import { exchange } from './exchange.ts';

/** What presenting a token to an entry point came to, in one shape for HTTP, gRPC and the SDK. */
export interface Outcome {
  accepted: boolean;
  /** HTTP status, gRPC status name, or 401 for the SDK's own `status`. */
  status: number | string;
  /** RFC 6750 error code (`invalid_token`); for gRPC implied by UNAUTHENTICATED. */
  error?: string;
  message?: string;
  /** The SDK's precise reason, where the entry point exposes it. */
  reason?: string;
  /** `WWW-Authenticate`, where there is one. */
  challenge?: string;
}

/** One place that accepts a JWT, started against the issuers under test. */
export interface JwtEntryPoint {
  name: string;
  /** `aud` the entry point requires. */
  audience: string;
  /** Scopes a token needs to get in. */
  scopes: string[];
  /** What a refusal of an invalid token looks like here (status field of {@link Outcome}). */
  refusedStatus: number | string;
  present(token: string): Promise<Outcome>;
  stop(): Promise<void>;
}

/** What decides which rows apply to an entry point, known before it starts. */
export interface EntryPointTraits {
  /** Whether it requires a `typ` header (RFC 8725 §3.11); rows about `typ` only apply then. */
  requiresTyp: boolean;
  /** Takes the token as a string (not through a header, which cannot carry a line break). */
  takesAnyString: boolean;
}

export interface EntryPointFactory extends EntryPointTraits {
  name: string;
  start(issuers: IssuerConfig[]): Promise<JwtEntryPoint>;
}

/** Verifier tuning shared by every entry: refetch keys on every unknown kid, so rows do not depend on order. */
const VERIFIER_TUNING = { unknownKidCooldownSeconds: 0 };

const sdkVerifier: EntryPointFactory = {
  name: 'SDK verifier (createVerifier)',
  requiresTyp: true,
  takesAnyString: true,
  async start(issuers) {
    const verifier = createVerifier({
      ...VERIFIER_TUNING,
      issuers,
      audience: 'tessera-security-suite',
      type: 'JWT',
    });
    return {
      name: this.name,
      audience: 'tessera-security-suite',
      scopes: [],
      refusedStatus: 401,
      async present(token) {
        try {
          await verifier.verify(token);
          return { accepted: true, status: 200 };
        } catch (error) {
          if (!(error instanceof SdkError)) throw error;
          return {
            accepted: false,
            status: error.status,
            error: error.code,
            message: error.message,
            reason: error.reason,
          };
        }
      },
      stop: async () => undefined,
    };
  },
};

const aiGateway: EntryPointFactory = {
  name: 'AI gateway POST /v2/completions',
  requiresTyp: false,
  takesAnyString: false,
  async start(issuers) {
    const gateway = await buildAiGateway({
      issuers,
      authority: await TokenAuthority.create({ issuer: 'gitlab-ai-gateway' }),
      verifier: VERIFIER_TUNING,
      logger: serviceLogger('jwt-attacks-gateway'),
    });
    await gateway.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}/v2/completions`;
    return {
      name: this.name,
      audience: 'gitlab-ai-gateway',
      scopes: ['complete_code'],
      refusedStatus: 401,
      async present(token) {
        const answer = await exchange(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ current_file: { file_name: 'a.py', content_above_cursor: 'def a():\n' } }),
        });
        const challenge = answer.headers['www-authenticate'];
        return {
          accepted: answer.status === 200,
          status: answer.status,
          error: answer.json?.error,
          message: answer.json?.error_description,
          challenge: typeof challenge === 'string' ? challenge : undefined,
        };
      },
      stop: () => gateway.close(),
    };
  },
};

const workflowService: EntryPointFactory = {
  name: 'workflow service gRPC GenerateToken',
  requiresTyp: false,
  takesAnyString: false,
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
          const failure = error as grpc.ServiceError;
          if (typeof failure.code !== 'number') throw error;
          return {
            accepted: false,
            status: grpc.status[failure.code]!,
            error: failure.code === grpc.status.UNAUTHENTICATED ? 'invalid_token' : undefined,
            message: failure.details,
          };
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
 * Every entry point that accepts a JWT today. **Instance endpoints that take JWTs** (none yet: the
 * OAuth token endpoint's JWT assertions, the registry's token consumers, …) are added here as one
 * more factory, with the audience, scopes and refusal shape they use; every row of the attack table
 * then runs against them too.
 */
export const JWT_ENTRY_POINTS: EntryPointFactory[] = [sdkVerifier, aiGateway, workflowService];
