import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { createVerifier, type IssuerConfig, type TokenAuthority, type VerifierOptions } from '@tessera/sdk';
import { cloudConnectorAuth } from '@tessera/sdk/fastify';
import { installReadinessGate } from '../../http/readiness-gate.ts';
import { healthRoutes } from '../../http/routes/health.routes.ts';
import { RoleReadiness } from '../../runtime/role-readiness.ts';
import { registerCompletionRoutes } from './completion.routes.ts';
import { installCors } from './cors.ts';
import { createLocalModelProvider, type ModelProvider } from './model-provider.ts';
import { registerUserAccessTokenRoute } from './user-access-token.route.ts';

/** Unit primitives the AI gateway honours, and so the scopes its own user tokens may carry. */
export const AI_GATEWAY_UNIT_PRIMITIVES = [
  'complete_code',
  'generate_code',
  'duo_chat',
  'explain_code',
  'troubleshoot_job',
  'generate_commit_message',
  'summarize_comments',
  'ai_gateway_model_provider_proxy',
] as const;

/**
 * Settings of {@link buildAiGateway}.
 */
export interface AiGatewayOptions {
  /** Trusted token issuers (license authority, SaaS instance, self-managed instances). */
  issuers: readonly IssuerConfig[];
  /** `aud` instance and user tokens must carry; default `gitlab-ai-gateway`. */
  audience?: string;
  /** The gateway's name as an issuer: `iss` and `aud` of the user tokens it mints; default the audience. */
  serviceName?: string;
  /** Signs the gateway's user tokens; its `issuer` must be `serviceName`. */
  authority: TokenAuthority;
  /** Default: the deterministic local provider. */
  provider?: ModelProvider;
  /** Browser origins allowed to call the gateway (exact match). */
  allowedOrigins?: readonly string[];
  /** Scopes the gateway's user tokens may carry; default {@link AI_GATEWAY_UNIT_PRIMITIVES}. */
  unitPrimitives?: readonly string[];
  /** Verifier tuning (cooldowns, cache size, clock); issuers and audience come from above. */
  verifier?: Omit<VerifierOptions, 'issuers' | 'audience'>;
  logger?: FastifyBaseLogger;
  /** Answers 503 (probes apart) until this is marked ready; default: ready at once. */
  readiness?: RoleReadiness;
}

/**
 * The AI gateway role as a Fastify app, built only on `@tessera/sdk`: every route but the health
 * check and CORS preflights needs a Cloud Connector token from one of `issuers` or from the gateway
 * itself (its TokenAuthority is one more issuer, read in-process), checked for the route's unit
 * primitive and against the X-Gitlab-Realm / X-Gitlab-Instance-Id headers.
 *
 * @example
 * ```ts
 * const authority = await TokenAuthority.create({ issuer: 'gitlab-ai-gateway' });
 * const app = await buildAiGateway({ issuers: [{ issuer: 'https://gitlab.example.com' }], authority });
 * await app.listen({ host: '127.0.0.1', port: 0 });
 * ```
 */
export async function buildAiGateway(options: AiGatewayOptions): Promise<FastifyInstance> {
  const audience = options.audience ?? 'gitlab-ai-gateway';
  const serviceName = options.serviceName ?? audience;
  if (options.authority.issuer !== serviceName) {
    throw new Error(
      `the gateway's TokenAuthority must issue as "${serviceName}", not "${options.authority.issuer}"`,
    );
  }
  const verifier = createVerifier({
    ...options.verifier,
    issuers: [...options.issuers, options.authority.asIssuer()],
    audience: [...new Set([audience, serviceName])],
  });

  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: 1024 * 1024,
  }) as unknown as FastifyInstance;
  const readiness = options.readiness ?? new RoleReadiness();
  if (!options.readiness) readiness.markReady();
  // Ahead of CORS and authentication, as on every other HTTP role.
  installReadinessGate(app, readiness);
  installCors(app, options.allowedOrigins ?? []);
  // The instance's API headers (src/http/response-headers.ts), kept here because the gateway stands
  // on its own: its answers carry user tokens, and none is a document to sniff or cache.
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff');
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    return payload;
  });
  await app.register(cloudConnectorAuth, { verifier });

  app.get('/monitoring/healthz', { config: { public: true } }, async () => ({ status: 'ok' }));
  await app.register(healthRoutes, { readiness });
  registerCompletionRoutes(app, options.provider ?? createLocalModelProvider());
  registerUserAccessTokenRoute(app, {
    authority: options.authority,
    grantableScopes: options.unitPrimitives ?? AI_GATEWAY_UNIT_PRIMITIVES,
  });
  return app;
}
