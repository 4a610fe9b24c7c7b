import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../../audit/audit-log.ts';
import type { AuthorityAdminToken } from '../../cloud/license-authority/authority-admin-token.ts';
import {
  LICENSE_AUTHORITY_KEY_ROLE,
  type LicenseAuthorityDeps,
} from '../../cloud/license-authority/license-authority-deps.ts';
import {
  createLicense,
  listLicenses,
  revokeLicense,
  showLicense,
} from '../../cloud/license-authority/license.service.ts';
import { unauthorized } from '../../errors/tessera-error.ts';
import { apiParams, optionalString, requiredInteger, requiredString } from '../api-params.ts';
import { presentedToken } from '../authenticate.ts';
import { parameters, NO_PARAMETERS } from '../route-parameters.ts';
import { exempt } from '../route-permission.ts';

const ADMIN_ACTOR = (request: FastifyRequest): Actor => ({
  userId: null,
  name: 'license-authority-admin',
  ip: request.ip,
});

/** The vendor's own operators, with the authority's admin token: no user of any instance reaches these. */
const ADMIN_ONLY = exempt('the license authority’s admin API: its own admin token is the credential');

/**
 * The license authority's admin API, under `/api/v1/admin/`, authenticated by the authority's admin
 * token (`Authorization: Bearer` or `PRIVATE-TOKEN`): create, list, show and revoke licenses, rotate
 * the authority's signing keys.
 */
export async function licenseAuthorityAdminRoutes(
  app: FastifyInstance,
  options: { deps: LicenseAuthorityDeps; adminToken: AuthorityAdminToken },
): Promise<void> {
  const { deps } = options;
  app.addHook('onRequest', async (request) => {
    if (!options.adminToken.matches(presentedToken(request))) throw unauthorized();
  });

  app.post(
    '/api/v1/admin/licenses',
    {
      config: ADMIN_ONLY,
      schema: parameters(
        {
          licensee: { type: 'string', required: true, description: 'Who the license is for' },
          email: { type: 'string', format: 'email', description: "The licensee's contact" },
          plan: { type: 'string', required: true, description: 'The plan' },
          add_ons: { type: 'object', description: 'add_ons[NAME]=seats: the add-ons and their seats' },
          starts_at: { type: 'string', format: 'date', description: 'First day of the license' },
          expires_at: { type: 'string', format: 'date', description: 'Last day of the license' },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const params = apiParams(request);
      const { license, activationCode } = await createLicense(deps, ADMIN_ACTOR(request), {
        licensee: requiredString(params, 'licensee'),
        email: optionalString(params, 'email'),
        plan: requiredString(params, 'plan'),
        addOns: params.add_ons,
        startsAt: optionalString(params, 'starts_at'),
        expiresAt: optionalString(params, 'expires_at'),
      });
      return reply.status(201).send({ ...license, activation_code: activationCode });
    },
  );

  app.get('/api/v1/admin/licenses', { config: ADMIN_ONLY }, async () => listLicenses(deps));

  app.get('/api/v1/admin/licenses/:id', { config: ADMIN_ONLY }, async (request) =>
    showLicense(deps, requiredInteger(request.params as Record<string, unknown>, 'id')),
  );

  app.post(
    '/api/v1/admin/licenses/:id/revoke',
    { config: ADMIN_ONLY, schema: NO_PARAMETERS },
    async (request) =>
      revokeLicense(
        deps,
        ADMIN_ACTOR(request),
        requiredInteger(request.params as Record<string, unknown>, 'id'),
      ),
  );

  app.post(
    '/api/v1/admin/signing_keys/rotate',
    { config: ADMIN_ONLY, schema: NO_PARAMETERS },
    async (request) => deps.keys.rotate(LICENSE_AUTHORITY_KEY_ROLE, ADMIN_ACTOR(request)),
  );
}
