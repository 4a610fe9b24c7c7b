import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { forbidden } from '../../errors/tessera-error.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { listAuditEvents, type AuditEventFilter } from '../../store/audit-events.repository.ts';
import type { AuditEvent } from '../../store/schema.ts';
import { apiQuery, optionalInteger, optionalString } from '../api-params.ts';
import { READ_API, requireScope } from '../authenticate.ts';
import { pageRequest, sendPage, type PageRequest } from '../pagination.ts';
import { PAGINATION, parameters } from '../route-parameters.ts';
import { timeParam } from './access-token-request.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

/** An audit event in the platform's v4 shape (`event_name` is our `action`). */
export function presentAuditEvent(event: AuditEvent): Record<string, unknown> {
  const numeric = (value: string | null) => (value !== null && /^\d+$/.test(value) ? Number(value) : value);
  return {
    id: event.id,
    author_id: event.author_id,
    entity_id: numeric(event.entity_id),
    entity_type: event.entity_type,
    event_name: event.action,
    details: {
      ...(JSON.parse(event.details) as Record<string, unknown>),
      author_name: event.author_name,
      target_type: event.target_type,
      target_id: numeric(event.target_id),
      target_details: event.target_details,
      ip_address: event.ip_address,
    },
    created_at: event.created_at,
  };
}

function auditFilter(request: FastifyRequest): Omit<AuditEventFilter, 'limit' | 'offset'> {
  const params = apiQuery(request);
  const text = (name: string) => optionalString(params, name) || undefined;
  return {
    authorId: optionalInteger(params, 'author_id'),
    action: text('action'),
    entityType: text('entity_type'),
    entityId: text('entity_id'),
    createdAfter: timeParam(params, 'created_after'),
    createdBefore: timeParam(params, 'created_before'),
  };
}

/**
 * The log is not counted (it only grows): the last page knows its total and gets the full headers;
 * an earlier one says only that a next page exists, as the platform does for uncounted collections.
 */
function sendAuditPage<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  externalUrl: string,
  page: PageRequest,
  rows: T[],
): T[] {
  if (rows.length <= page.limit)
    return sendPage(request, reply, externalUrl, page, page.offset + rows.length, rows);
  const items = sendPage(
    request,
    reply,
    externalUrl,
    page,
    page.offset + rows.length,
    rows.slice(0, page.limit),
  );
  const links = String(reply.getHeader('link') ?? '')
    .split(', ')
    .filter((link) => !link.endsWith('rel="last"'));
  void reply.removeHeader('x-total').removeHeader('x-total-pages').header('link', links.join(', '));
  return items;
}

/** `GET /audit_events` for administrators, newest first, filtered as on the platform (plus `action`). */
export async function auditEventsRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const { db, settings } = options.context;

  app.get(
    '/api/v4/audit_events',
    {
      config: requires(PERMISSIONS.readAuditEvent),
      schema: parameters(
        {
          ...PAGINATION,
          author_id: { type: 'integer', description: 'Only events by this user' },
          action: { type: 'string', description: 'Only events of this action (Tessera)' },
          entity_type: { type: 'string', description: 'Only events on this kind of entity' },
          entity_id: { type: 'string', description: 'Only events on this entity' },
          created_after: { type: 'string', format: 'date-time', description: 'Only events after this time' },
          created_before: {
            type: 'string',
            format: 'date-time',
            description: 'Only events before this time',
          },
        },
        { in: 'query' },
      ),
    },
    async (request, reply) => {
      const principal = requireScope(request, READ_API);
      if (!principal.user.is_admin) throw forbidden();
      const page = pageRequest(request);
      // One row beyond the page says whether another follows.
      const rows = await listAuditEvents(db, {
        ...auditFilter(request),
        limit: page.limit + 1,
        offset: page.offset,
      });
      return sendAuditPage(request, reply, settings.externalUrl, page, rows.map(presentAuditEvent));
    },
  );
}
