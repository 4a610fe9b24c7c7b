import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Settings } from '../../config/settings.ts';
import type { KeyManager } from '../../keys/key-manager.ts';
import { JWKS_CACHE_CONTROL } from '../../keys/jwks.ts';
import { authorizationServerMetadata, openidConfiguration } from '../../keys/openid-configuration.ts';
import { exempt } from '../route-permission.ts';

const DISCOVERY_CACHE_CONTROL = 'max-age=3600, public';

/** The role whose keys sign the instance's tokens (ID tokens, user AI tokens, registry tokens). */
const INSTANCE_ROLE = 'instance';

/** OIDC discovery, RFC 8414 metadata and the instance's JWKS, at GitLab's paths. */
export async function discoveryRoutes(
  app: FastifyInstance,
  options: { keys: KeyManager; settings: Settings },
): Promise<void> {
  const jwks = async (_request: FastifyRequest, reply: FastifyReply) => {
    const body = await options.keys.jwks(INSTANCE_ROLE);
    return reply.header('cache-control', JWKS_CACHE_CONTROL).type('application/json').send(body);
  };
  app.get(
    '/oauth/discovery/keys',
    { config: exempt('public keys and discovery documents, for any verifier') },
    jwks,
  );
  app.get('/-/jwks', { config: exempt('public keys and discovery documents, for any verifier') }, jwks);

  app.get(
    '/.well-known/openid-configuration',
    { config: exempt('public keys and discovery documents, for any verifier') },
    async (_request, reply) =>
      reply
        .header('cache-control', DISCOVERY_CACHE_CONTROL)
        .type('application/json')
        .send(openidConfiguration(options.settings.externalUrl)),
  );
  app.get(
    '/.well-known/oauth-authorization-server',
    { config: exempt('public keys and discovery documents, for any verifier') },
    async (_request, reply) =>
      reply
        .header('cache-control', DISCOVERY_CACHE_CONTROL)
        .type('application/json')
        .send(authorizationServerMetadata(options.settings.externalUrl)),
  );
}
