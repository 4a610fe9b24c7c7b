import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CloudConnector } from '../../cloud/instance/cloud-connector.ts';
import { requireScope } from '../authenticate.ts';
import { CREATES_CREDENTIAL } from './composite-identity-boundary.ts';
import { NO_PARAMETERS } from '../route-parameters.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

/** A PAT needs one of these to get a user AI token; a session cookie (with its CSRF token) needs none. */
const AI_TOKEN_SCOPES = ['ai_features', 'api'] as const;

/**
 * User AI tokens for IDEs and the web client: `POST /api/v4/code_suggestions/direct_access` (the
 * token plus the gateway's URL and the headers to send it with) and the older
 * `POST /api/v4/code_suggestions/tokens`. Both need a seat; both count against the same per-user limit.
 */
export async function codeSuggestionsRoutes(
  app: FastifyInstance,
  options: { cloud: CloudConnector },
): Promise<void> {
  const { cloud } = options;
  const issue = (request: FastifyRequest) => cloud.userToken(requireScope(request, AI_TOKEN_SCOPES).user);

  app.post(
    '/api/v4/code_suggestions/direct_access',
    {
      config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.createCodeSuggestionDirectAccess) },
      schema: NO_PARAMETERS,
    },
    async (request, reply) => {
      const issued = await issue(request);
      cloud.deps.metrics.userTokensIssued.inc({ endpoint: 'direct_access' });
      return reply.status(201).send({
        base_url: issued.baseUrl,
        token: issued.token,
        expires_at: issued.expiresAt,
        headers: issued.headers,
      });
    },
  );

  app.post(
    '/api/v4/code_suggestions/tokens',
    {
      config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.createCodeSuggestionToken) },
      schema: NO_PARAMETERS,
    },
    async (request, reply) => {
      const issued = await issue(request);
      cloud.deps.metrics.userTokensIssued.inc({ endpoint: 'tokens' });
      return reply.status(201).send({
        access_token: issued.token,
        expires_in: issued.expiresAt - issued.createdAt,
        created_at: issued.createdAt,
      });
    },
  );
}
