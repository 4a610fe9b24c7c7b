import type { FastifyInstance } from 'fastify';
import { instanceMetadata } from '../../runtime/version.ts';
import { requireScope } from '../authenticate.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

/** Any credential that may read the API or the user may read the instance's version. */
const METADATA_SCOPES = ['api', 'read_api', 'read_user'] as const;

/** `GET /api/v4/metadata` and `GET /api/v4/version`: authenticated users only, as on the platform. */
export async function metadataRoutes(app: FastifyInstance): Promise<void> {
  for (const path of ['/api/v4/metadata', '/api/v4/version']) {
    app.get(path, { config: requires(PERMISSIONS.readMetadata) }, async (request) => {
      requireScope(request, METADATA_SCOPES);
      return instanceMetadata();
    });
  }
}
