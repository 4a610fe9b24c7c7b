/**
 * Fastify adapter of the SDK: `import { cloudConnectorAuth } from '@tessera/sdk/fastify'`.
 * Needs `fastify` ≥ 5 (an optional peer dependency).
 * @module
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { requireScopes, type CloudConnectorClaims, type ScopeMatch } from './claims.ts';
import type { Verifier } from './create-verifier.ts';
import { SdkError } from './errors.ts';
import { bearerToken, checkGitlabHeaders } from './gitlab-headers.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Claims of the request's verified token. Set on every route that is not `public`. */
    cloudConnector: CloudConnectorClaims;
  }
  interface FastifyContextConfig {
    /** Scopes (unit primitives) the route needs; default none, but a valid token is still required. */
    scopes?: readonly string[];
    /** `all` (default) or `any` of `scopes`. */
    scopeMatch?: ScopeMatch;
    /** A public route (health checks, CORS preflight) skips authentication entirely. */
    public?: boolean;
  }
}

/**
 * Settings of {@link cloudConnectorAuth}.
 *
 * @example
 * ```ts
 * await app.register(cloudConnectorAuth, { verifier, checkGitlabHeaders: true });
 * ```
 */
export interface CloudConnectorAuthOptions {
  verifier: Verifier;
  /** Match `X-Gitlab-Realm` / `X-Gitlab-Instance-Id` against the token when they are sent; default true. */
  checkGitlabHeaders?: boolean;
}

/**
 * Authenticates every route of the app (secure by default: a route opts out with
 * `config: { public: true }`) before its body is parsed, and puts the token's claims on
 * `request.cloudConnector`. A route names the scopes it needs in `config.scopes`.
 *
 * Refusals follow RFC 6750: 401 `{"error":"invalid_token","error_description":…}` with
 * `WWW-Authenticate: Bearer error="invalid_token"` (just `Bearer` when no token was sent), and 403
 * `{"error":"insufficient_scope",…}` naming the missing scopes in the `scope` attribute.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { createVerifier } from '@tessera/sdk';
 * import { cloudConnectorAuth } from '@tessera/sdk/fastify';
 *
 * const app = Fastify();
 * await app.register(cloudConnectorAuth, { verifier: createVerifier({ issuers, audience: 'gitlab-ai-gateway' }) });
 * app.post('/v2/completions', { config: { scopes: ['complete_code'] } }, async (request) => ({
 *   user: request.cloudConnector.sub,
 * }));
 * app.get('/monitoring/healthz', { config: { public: true } }, async () => ({ status: 'ok' }));
 * ```
 */
export const cloudConnectorAuth: FastifyPluginAsync<CloudConnectorAuthOptions> = async (app, options) => {
  const checkHeaders = options.checkGitlabHeaders ?? true;
  app.decorateRequest('cloudConnector', null as unknown as CloudConnectorClaims);
  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config ?? {};
    if (config.public === true) return;
    try {
      const claims = await options.verifier.verify(bearerToken(request.headers.authorization));
      // Headers before scopes: a token presented for another instance is invalid, whatever it grants.
      if (checkHeaders) {
        checkGitlabHeaders(claims, {
          realm: header(request, 'x-gitlab-realm'),
          instanceId: header(request, 'x-gitlab-instance-id'),
        });
      }
      requireScopes(claims.scopes, config.scopes ?? [], config.scopeMatch);
      request.cloudConnector = claims;
    } catch (error) {
      if (!(error instanceof SdkError) || error.code === 'invalid_configuration') throw error;
      return replyWithSdkError(reply, error);
    }
  });
};

// Without encapsulation the hook and decorator apply to the routes of the app that registers the plugin.
Object.assign(cloudConnectorAuth, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@tessera/sdk/fastify',
});

/**
 * Sends an {@link SdkError} as its RFC 6750 response (status, `WWW-Authenticate`, JSON body).
 * Useful in a handler that refuses for a reason only it knows.
 *
 * @example
 * ```ts
 * if (request.cloudConnector.iss === ownIssuer) {
 *   return replyWithSdkError(reply, new SdkError('insufficient_scope', 'missing_scope', 'an instance token is required'));
 * }
 * ```
 */
export function replyWithSdkError(reply: FastifyReply, error: SdkError): FastifyReply {
  return reply.code(error.status).header('www-authenticate', challenge(error)).send(error.toJSON());
}

function challenge(error: SdkError): string {
  if (error.code === 'insufficient_scope') {
    return `Bearer error="insufficient_scope", scope="${error.missingScopes.join(' ')}"`;
  }
  // RFC 6750 §3.1: a request without credentials gets a bare challenge, no error code.
  return error.reason === 'missing_token' ? 'Bearer' : 'Bearer error="invalid_token"';
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
