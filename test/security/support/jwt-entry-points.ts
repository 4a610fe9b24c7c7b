import type { AddressInfo } from 'node:net';
import { createVerifier, SdkError, TokenAuthority, type IssuerConfig } from '@tessera/sdk';
import { buildAiGateway } from '../../../src/services/ai-gateway/build-ai-gateway.ts';
import { rememberSecret } from '../../support/secrets.ts';
import { serviceLogger } from '../../services/support/test-issuer.ts';
import { exchange } from './exchange.ts';
import { workflowExecuteWorkflow, workflowGenerateToken } from './workflow-entry-points.ts';

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
  /**
   * Trusts only the first issuer under test (a verifier of one issuer's tokens), so a token naming
   * the second one is from an unknown issuer there rather than signed with a key of the wrong one.
   */
  singleIssuer: boolean;
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
  singleIssuer: false,
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

/** One route of the AI gateway (both share its one verifier), with what a call to it needs. */
function aiGatewayRoute(route: {
  name: string;
  path: string;
  scopes: string[];
  headers: Record<string, string>;
  body: string;
  /** The secret a successful answer carries, if any (kept for the leak check). */
  issued?: (json: Record<string, unknown>) => unknown;
}): EntryPointFactory {
  return {
    name: route.name,
    requiresTyp: false,
    takesAnyString: false,
    singleIssuer: false,
    async start(issuers) {
      const gateway = await buildAiGateway({
        issuers,
        authority: await TokenAuthority.create({ issuer: 'gitlab-ai-gateway' }),
        verifier: VERIFIER_TUNING,
        logger: serviceLogger('jwt-attacks-gateway'),
      });
      await gateway.listen({ host: '127.0.0.1', port: 0 });
      const url = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}${route.path}`;
      return {
        name: route.name,
        audience: 'gitlab-ai-gateway',
        scopes: route.scopes,
        refusedStatus: 401,
        async present(token) {
          const answer = await exchange(url, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${token}`,
              'content-type': 'application/json',
              ...route.headers,
            },
            body: route.body,
          });
          const issued = answer.status === 200 ? route.issued?.(answer.json) : undefined;
          if (typeof issued === 'string') rememberSecret(issued);
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
}

const aiGatewayCompletions = aiGatewayRoute({
  name: 'AI gateway POST /v2/completions',
  path: '/v2/completions',
  scopes: ['complete_code'],
  headers: {},
  body: JSON.stringify({ current_file: { file_name: 'a.py', content_above_cursor: 'def a():\n' } }),
});

/** Exchanges an instance token for a gateway-signed user token: a JWT in, a JWT out. */
const aiGatewayUserAccessToken = aiGatewayRoute({
  name: 'AI gateway POST /v1/code/user_access_token',
  path: '/v1/code/user_access_token',
  scopes: ['complete_code'],
  headers: { 'x-gitlab-global-user-id': 'security-suite-user' },
  body: '{}',
  issued: (json) => json.token,
});

/**
 * Every entry point that accepts a JWT. The instance itself and the license authority verify none:
 * they authenticate opaque secrets (PATs, job tokens, OAuth tokens, license keys) — the instance's
 * token inspector checks a JWT's signature only to display the result, and the instance token it
 * receives from the license authority is read, not trusted as a credential (docs/security.md). A new
 * JWT entry point is one more factory here, with the audience, scopes and refusal shape it uses;
 * every row of the attack table then runs against it too.
 */
export const JWT_ENTRY_POINTS: EntryPointFactory[] = [
  sdkVerifier,
  aiGatewayCompletions,
  aiGatewayUserAccessToken,
  workflowGenerateToken,
  workflowExecuteWorkflow,
];
