import type { FastifyInstance, FastifyReply } from 'fastify';
import { TesseraError } from '../../errors/tessera-error.ts';
import { PasswordCredentialsResolver } from '../../registry/password-credentials.resolver.ts';
import { RegistryKeys } from '../../registry/registry-keys.ts';
import { issueRegistryToken, type RegistryTokenDeps } from '../../registry/registry-token.service.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import {
  AuthenticationThrottle,
  type AuthenticationAttempt,
} from '../../security/authentication-throttle.ts';
import { parseBasicAuthorization } from '../../tokens/basic-credentials.ts';
import { countsAsGuess } from '../../tokens/token-authenticator.ts';
import { declaredView, parameters } from '../route-parameters.ts';
import { requiresPerRequest } from '../route-permission.ts';
import { permissionsForRegistryRequest, REGISTRY_PERMISSIONS } from '../../registry/registry-permissions.ts';

/** The registry's error body (`{errors: [{code, message}]}`), which docker and skopeo print. */
function registryError(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.status(status).send({ errors: [{ code, message }] });
}

/**
 * `GET /jwt/auth`: the container registry's token service (Docker token authentication). Credentials
 * come only as HTTP basic and are judged by the shared basic-credential resolvers (deploy tokens,
 * access tokens, CI job tokens; a password only when the instance allows it); none is anonymous.
 * Errors use the registry's body shape: 401 for bad credentials, 404 for a service not served here,
 * 400 for a request that cannot be read. Scopes that cannot be granted are simply left out.
 */
export async function registryAuthRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const { context } = options;
  const settings = context.settings.registry;
  const deps: RegistryTokenDeps = {
    db: context.db,
    clock: context.clock,
    keys: context.keys,
    registryKeys: new RegistryKeys({
      db: context.db,
      box: context.secrets.box,
      clock: context.clock,
      x5c: settings.x5c,
    }),
    settings,
    resolvers: settings.passwordAuth
      ? [...context.basicCredentialResolvers, new PasswordCredentialsResolver(context.db)]
      : context.basicCredentialResolvers,
  };

  const throttle = new AuthenticationThrottle({
    db: context.db,
    clock: context.clock,
    limiter: context.failureLimiter,
  });

  app.get(
    '/jwt/auth',
    {
      config: requiresPerRequest(REGISTRY_PERMISSIONS, (request) =>
        permissionsForRegistryRequest((request.query as Record<string, unknown> | undefined)?.scope),
      ),
      schema: parameters(
        {
          service: { type: 'string', required: true, description: 'The registry the token is for' },
          scope: { type: 'array', items: 'string', description: 'repository:PATH:pull,push (repeatable)' },
          account: {
            type: 'string',
            description: 'The user name (informative; the Basic credentials decide)',
          },
          client_id: { type: 'string', description: 'The client (informative)' },
          offline_token: { type: 'boolean', description: 'Asked by docker login (informative)' },
        },
        { in: 'query' },
      ),
    },
    async (request, reply) => {
      const query = declaredView(request, (request.query ?? {}) as Record<string, unknown>);
      const header = request.headers.authorization;
      const credentials = header === undefined ? null : (parseBasicAuthorization(header) ?? 'malformed');
      // Failures count per address only: usernames are public (`gitlab+deploy-token-7`), and locking
      // an account would let anyone stop a cluster's pulls by failing under its deploy token's name.
      const attempt: AuthenticationAttempt | null =
        credentials === null ? null : { credential: 'basic:registry', ip: request.ip };
      try {
        if (attempt) await throttle.assertAllowed(attempt);
        const issued = await issueRegistryToken(deps, {
          service: query.service,
          scope: query.scope,
          credentials,
          ip: request.ip,
        });
        context.metrics.tokensIssued.inc({ type: 'registry_token' });
        request.log.info(
          {
            registry_subject: issued.identity === null ? 'anonymous' : issued.identity.type,
            access: issued.access,
          },
          'registry token issued',
        );
        return reply.header('cache-control', 'no-store').send(issued.response);
      } catch (error) {
        if (!(error instanceof TesseraError)) throw error;
        if (error.code === 'rate_limited') {
          void reply.header('retry-after', String(error.details.retryAfterSeconds ?? 60));
          return registryError(reply, 429, 'TOOMANYREQUESTS', error.message);
        }
        if (error.code === 'unauthorized') {
          context.metrics.tokensRejected.inc({ type: 'registry_basic' });
          const guess =
            credentials === null ||
            credentials === 'malformed' ||
            (await countsAsGuess(
              context.tokenAuthenticators,
              credentials.password,
              context.settings.tokenPrefix,
            ));
          if (attempt && guess) await throttle.recordFailure(attempt);
          void reply.header('www-authenticate', 'Basic realm="tessera"');
          return registryError(reply, 401, 'UNAUTHORIZED', 'HTTP Basic: Access denied');
        }
        if (error.code === 'not_found') return registryError(reply, 404, 'UNKNOWN', 'unknown service');
        if (error.code === 'bad_request') return registryError(reply, 400, 'INVALID_REQUEST', error.message);
        throw error;
      }
    },
  );
}
