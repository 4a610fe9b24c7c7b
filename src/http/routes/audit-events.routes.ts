import type { FastifyInstance } from 'fastify';
import { badRequest, forbidden } from '../../errors/tessera-error.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { listAuditEvents, type AuditEventFilter } from '../../store/audit-events.repository.ts';
import type { AuditEvent } from '../../store/schema.ts';
import { READ_API, requireScope } from '../authenticate.ts';
import { fieldsOf, pageOf, setPaginationHeaders } from './access-token-request.ts';

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

function auditFilter(rawQuery: unknown): Omit<AuditEventFilter, 'limit' | 'offset'> {
  const query = fieldsOf(rawQuery);
  const text = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') throw badRequest(name, 'is invalid');
    return value;
  };
  const time = (name: string): string | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    const parsed = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
    if (Number.isNaN(parsed)) throw badRequest(name, 'is invalid');
    return new Date(parsed).toISOString();
  };
  const filter: Omit<AuditEventFilter, 'limit' | 'offset'> = {};
  const authorId = text('author_id');
  if (authorId !== undefined) {
    if (!/^\d{1,15}$/.test(authorId)) throw badRequest('author_id', 'is invalid');
    filter.authorId = Number(authorId);
  }
  const optional = {
    action: text('action'),
    entityType: text('entity_type'),
    entityId: text('entity_id'),
    createdAfter: time('created_after'),
    createdBefore: time('created_before'),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) filter[key as keyof typeof optional] = value;
  }
  return filter;
}

/** `GET /audit_events` for administrators, newest first, filtered as on the platform (plus `action`). */
export async function auditEventsRoutes(app: FastifyInstance, options: { context: InstanceContext }): Promise<void> {
  const { db, settings } = options.context;

  app.get('/api/v4/audit_events', async (request, reply) => {
    const principal = requireScope(request, READ_API);
    if (!principal.user.is_admin) throw forbidden();
    const page = pageOf(request.query);
    // One row beyond the page says whether another follows, without counting the whole log.
    const rows = await listAuditEvents(db, { ...auditFilter(request.query), limit: page.limit + 1, offset: page.offset });
    setPaginationHeaders(request, reply, settings.externalUrl, page, { hasNext: rows.length > page.limit });
    return rows.slice(0, page.limit).map(presentAuditEvent);
  });
}
