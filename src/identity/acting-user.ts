import type { Actor } from '../audit/audit-log.ts';
import type { User } from '../store/schema.ts';
import { compositeIdentityOf } from './composite-identity.ts';

/** A user doing something through a service: whose permissions apply, and where the request came from. */
export interface ActingUser {
  /** For a composite identity, the service account carrying the person it acts for. */
  user: User;
  ip: string | null;
  /** Sudo: the administrator acting as `user` for this request. */
  sudoer?: User;
}

/** How the audit log names an acting user (and, for a composite identity, the person behind it). */
export function actorFor(acting: ActingUser): Actor {
  const actor: Actor = { userId: acting.user.id, name: acting.user.username, ip: acting.ip };
  const person = compositeIdentityOf(acting.user)?.scopedUser;
  if (person) actor.onBehalfOf = { userId: person.id, name: person.username };
  if (acting.sudoer) actor.impersonatedBy = { userId: acting.sudoer.id, name: acting.sudoer.username };
  return actor;
}
