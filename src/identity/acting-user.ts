import type { Actor } from '../audit/audit-log.ts';
import type { User } from '../store/schema.ts';

/** A user doing something through a service: whose permissions apply, and where the request came from. */
export interface ActingUser {
  user: User;
  ip: string | null;
}

/** How the audit log names an acting user. */
export function actorFor(acting: ActingUser): Actor {
  return { userId: acting.user.id, name: acting.user.username, ip: acting.ip };
}
