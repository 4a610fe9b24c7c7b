import type { FastifyInstance } from 'fastify';
import type { CloudConnector } from '../../cloud/instance/cloud-connector.ts';
import { assignSeat, listAddOns, listSeats, unassignSeat } from '../../cloud/instance/seats.service.ts';
import { requiredInteger, requiredString } from '../api-params.ts';
import { READ_API, WRITE_API, actorOf } from '../authenticate.ts';
import { requireAdmin } from './cloud-connector-admin.routes.ts';
import { PAGINATION, parameters, NO_PARAMETERS } from '../route-parameters.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

type Params = Record<string, unknown>;

/**
 * Add-on seats, for administrators: `GET /api/v4/admin/add_ons` (seats bought and assigned),
 * `GET /api/v4/admin/add_ons/:add_on/seats`, `POST|DELETE /api/v4/admin/add_ons/:add_on/seats/:user_id`.
 */
export async function addOnSeatsRoutes(
  app: FastifyInstance,
  options: { cloud: CloudConnector },
): Promise<void> {
  const { deps } = options.cloud;

  app.get(
    '/api/v4/admin/add_ons',
    { config: requires(PERMISSIONS.readAddOn), schema: parameters(PAGINATION, { in: 'query' }) },
    async (request) => {
      requireAdmin(request, READ_API);
      return listAddOns(deps);
    },
  );

  app.get(
    '/api/v4/admin/add_ons/:add_on/seats',
    { config: requires(PERMISSIONS.readAddOnSeat), schema: parameters(PAGINATION, { in: 'query' }) },
    async (request) => {
      requireAdmin(request, READ_API);
      return listSeats(deps, requiredString(request.params as Params, 'add_on'));
    },
  );

  app.post(
    '/api/v4/admin/add_ons/:add_on/seats/:user_id',
    { config: requires(PERMISSIONS.assignAddOnSeat), schema: NO_PARAMETERS },
    async (request, reply) => {
      requireAdmin(request, WRITE_API);
      const params = request.params as Params;
      const { seat, created } = await assignSeat(
        deps,
        actorOf(request),
        requiredString(params, 'add_on'),
        requiredInteger(params, 'user_id'),
      );
      return reply.status(created ? 201 : 200).send(seat);
    },
  );

  app.delete(
    '/api/v4/admin/add_ons/:add_on/seats/:user_id',
    { config: requires(PERMISSIONS.unassignAddOnSeat) },
    async (request, reply) => {
      requireAdmin(request, WRITE_API);
      const params = request.params as Params;
      await unassignSeat(
        deps,
        actorOf(request),
        requiredString(params, 'add_on'),
        requiredInteger(params, 'user_id'),
      );
      return reply.status(204).send();
    },
  );
}
