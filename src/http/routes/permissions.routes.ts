import type { FastifyInstance } from 'fastify';
import { PERMISSION_CATALOGUE, PERMISSIONS, type Permission } from '../../identity/permission-catalogue.ts';
import { requirePrincipal } from '../authenticate.ts';
import { UNPAGINATED } from '../pagination.ts';
import { parameters } from '../route-parameters.ts';
import { requires } from '../route-permission.ts';

/** One catalogue entry as served: exactly the five fields, whatever else the table keeps. */
const presentPermission = ({ name, resource, action, boundaries, description }: Permission) => ({
  name,
  resource,
  action,
  boundaries,
  description,
});

/**
 * `GET /api/v4/personal_access_tokens/permissions`: the permission catalogue, read-only, whole (it is
 * one small table, so unpaginated) — what a client offers when it makes a fine-grained token. Any
 * authenticated user may read it, as on the platform.
 */
export async function permissionsRoutes(app: FastifyInstance): Promise<void> {
  const body = PERMISSION_CATALOGUE.map(presentPermission);
  app.get(
    '/api/v4/personal_access_tokens/permissions',
    {
      config: { ...requires(PERMISSIONS.readPermissionCatalogue), ...UNPAGINATED },
      schema: parameters({}, { in: 'query' }),
    },
    async (request) => {
      requirePrincipal(request);
      return body;
    },
  );
}
