import type { FastifyInstance } from 'fastify';
import { activateLicense } from '../../cloud/license-authority/activate-license.ts';
import {
  AUTHORITY_JWKS_PATH,
  authorityDiscovery,
} from '../../cloud/license-authority/authority-discovery.ts';
import { issueInstanceToken } from '../../cloud/license-authority/issue-instance-token.ts';
import {
  LICENSE_AUTHORITY_KEY_ROLE,
  type LicenseAuthorityDeps,
} from '../../cloud/license-authority/license-authority-deps.ts';
import { JWKS_CACHE_CONTROL } from '../../keys/jwks.ts';
import { apiParams } from '../api-params.ts';
import { presentedToken } from '../authenticate.ts';
import { parameters } from '../route-parameters.ts';
import { exempt } from '../route-permission.ts';

/**
 * What instances and verifiers call on the license authority: discovery and JWKS, activation
 * (`POST /api/v1/activate`, with the activation code) and the sync (`POST /api/v1/instance_tokens`,
 * with the license key as bearer token).
 */
export async function licenseAuthorityRoutes(
  app: FastifyInstance,
  options: { deps: LicenseAuthorityDeps },
): Promise<void> {
  const { deps } = options;

  app.get(
    '/.well-known/openid-configuration',
    { config: exempt('the license authority’s public keys and discovery document') },
    async (_request, reply) =>
      reply.header('cache-control', 'max-age=3600, public').send(authorityDiscovery(deps.issuer)),
  );
  app.get(
    AUTHORITY_JWKS_PATH,
    { config: exempt('the license authority’s public keys and discovery document') },
    async (_request, reply) =>
      reply
        .header('cache-control', JWKS_CACHE_CONTROL)
        .type('application/json')
        .send(await deps.keys.jwks(LICENSE_AUTHORITY_KEY_ROLE)),
  );

  app.post(
    '/api/v1/activate',
    {
      config: exempt('the license authority: an activation code is the credential'),
      schema: parameters(
        {
          activation_code: {
            type: 'string',
            required: true,
            description: 'The activation code the customer was given',
          },
          instance_id: { type: 'string', required: true, description: 'The instance being activated' },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const params = apiParams(request);
      const activation = await activateLicense(deps, {
        activationCode: params.activation_code,
        instanceId: params.instance_id,
        ip: request.ip,
      });
      return reply.status(201).send(activation);
    },
  );

  app.post(
    '/api/v1/instance_tokens',
    {
      config: exempt('the license authority: the instance’s license key is the credential'),
      schema: parameters(
        {
          instance_id: { type: 'string', required: true, description: 'The instance asking for a token' },
          seats: { type: 'integer', description: 'Seats in use on the instance' },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const params = apiParams(request);
      const issued = await issueInstanceToken(deps, {
        licenseKey: presentedToken(request),
        instanceId: params.instance_id,
        seatsInUse: params.seats,
      });
      return reply.status(201).send(issued);
    },
  );
}
