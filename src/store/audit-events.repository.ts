import type { Executor } from './database.ts';
import type { AuditEvent, AuditEventsTable } from './schema.ts';
import type { Insertable } from 'kysely';

export async function insertAuditEvent(db: Executor, event: Insertable<AuditEventsTable>): Promise<void> {
  await db.insertInto('audit_events').values(event).execute();
}

export interface AuditEventFilter {
  authorId?: number;
  action?: string;
  entityType?: string;
  entityId?: string;
  /** What the event is about: its target's type, or its entity's when it has no target. */
  targetType?: string;
  createdAfter?: string;
  createdBefore?: string;
  limit: number;
  offset: number;
}

export async function listAuditEvents(db: Executor, filter: AuditEventFilter): Promise<AuditEvent[]> {
  let query = db.selectFrom('audit_events').selectAll();
  if (filter.authorId !== undefined) query = query.where('author_id', '=', filter.authorId);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.entityType !== undefined) query = query.where('entity_type', '=', filter.entityType);
  if (filter.entityId !== undefined) query = query.where('entity_id', '=', filter.entityId);
  if (filter.targetType !== undefined) {
    const type = filter.targetType;
    query = query.where((eb) =>
      eb.or([
        eb('target_type', '=', type),
        eb.and([eb('target_type', 'is', null), eb('entity_type', '=', type)]),
      ]),
    );
  }
  if (filter.createdAfter !== undefined) query = query.where('created_at', '>=', filter.createdAfter);
  if (filter.createdBefore !== undefined) query = query.where('created_at', '<=', filter.createdBefore);
  return query.orderBy('id', 'desc').limit(filter.limit).offset(filter.offset).execute();
}
