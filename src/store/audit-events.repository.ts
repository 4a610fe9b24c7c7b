import type { Executor } from './database.ts';
import type { AuditEvent, AuditEventsTable } from './schema.ts';
import type { Insertable } from 'kysely';
import { preparedCommand } from './prepared-query.ts';

export async function insertAuditEvent(db: Executor, event: Insertable<AuditEventsTable>): Promise<void> {
  await insertEvent(
    db,
    event.created_at,
    event.author_id ?? null,
    event.author_name,
    event.action,
    event.entity_type,
    event.entity_id ?? null,
    event.target_type ?? null,
    event.target_id ?? null,
    event.target_details ?? null,
    event.ip_address ?? null,
    event.details,
  );
}

// Every credential change writes one, inside its transaction: compiled once.
const insertEvent = preparedCommand(
  (
    db: Executor,
    created_at: string,
    author_id: number | null,
    author_name: string,
    action: string,
    entity_type: string,
    entity_id: string | null,
    target_type: string | null,
    target_id: string | null,
    target_details: string | null,
    ip_address: string | null,
    details: string,
  ) =>
    db.insertInto('audit_events').values({
      created_at,
      author_id,
      author_name,
      action,
      entity_type,
      entity_id,
      target_type,
      target_id,
      target_details,
      ip_address,
      details,
    }),
);

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
  return filteredEvents(db, filter)
    .selectAll()
    .orderBy('id', 'desc')
    .limit(filter.limit)
    .offset(filter.offset)
    .execute();
}

/** How many events match (the home page's count of failed sign-ins); `action` and a time range keep it on an index. */
export async function countAuditEvents(
  db: Executor,
  filter: Omit<AuditEventFilter, 'limit' | 'offset'>,
): Promise<number> {
  const row = await filteredEvents(db, filter)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function filteredEvents(db: Executor, filter: Omit<AuditEventFilter, 'limit' | 'offset'>) {
  let query = db.selectFrom('audit_events');
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
  return query;
}
