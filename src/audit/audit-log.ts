import type { Executor } from '../store/database.ts';
import { insertAuditEvent } from '../store/audit-events.repository.ts';
import type { Clock } from '../util/clock.ts';

/** Who did something, and from where. `userId` is null for the system itself (scheduler, seed). */
export interface Actor {
  userId: number | null;
  name: string;
  ip: string | null;
  /**
   * Composite identity: the person a service account's token acted for. The event is then the
   * service account's (`author_*`) and names the person in `details.on_behalf_of`.
   */
  onBehalfOf?: { userId: number; name: string };
  /**
   * Sudo: the administrator whose token acted as this user. The event is the user's (`author_*`) and
   * names the administrator in `details.impersonated_by`.
   */
  impersonatedBy?: { userId: number; name: string };
}

export const SYSTEM_ACTOR: Actor = { userId: null, name: 'tessera', ip: null };

export interface AuditRecord {
  /** What happened, as `<entity>.<verb>`: `personal_access_token.created`, `signing_key.activated`. */
  action: string;
  entity: { type: string; id: string | number | null };
  target?: { type: string; id: string | number | null; details?: string };
  /** Anything else worth keeping; never a secret. */
  details?: Record<string, unknown>;
}

/**
 * Writes one audit event. Call it with the transaction that makes the change, so the event exists
 * exactly when the change does.
 */
export async function recordAudit(
  db: Executor,
  clock: Clock,
  actor: Actor,
  record: AuditRecord,
): Promise<void> {
  await insertAuditEvent(db, {
    created_at: clock.now().toISOString(),
    author_id: actor.userId,
    author_name: actor.name,
    action: record.action,
    entity_type: record.entity.type,
    entity_id: record.entity.id === null ? null : String(record.entity.id),
    target_type: record.target?.type ?? null,
    target_id: record.target?.id === undefined || record.target.id === null ? null : String(record.target.id),
    target_details: record.target?.details ?? null,
    ip_address: actor.ip,
    details: JSON.stringify(detailsWithActor(record.details ?? {}, actor)),
  });
}

/** The record's details plus the people behind the author: composite identity and sudo. */
function detailsWithActor(details: Record<string, unknown>, actor: Actor): Record<string, unknown> {
  const withPeople = { ...details };
  if (actor.onBehalfOf) {
    withPeople.on_behalf_of = { id: actor.onBehalfOf.userId, username: actor.onBehalfOf.name };
  }
  if (actor.impersonatedBy) {
    withPeople.impersonated_by = { id: actor.impersonatedBy.userId, username: actor.impersonatedBy.name };
  }
  return withPeople;
}
