import type { Executor } from '../store/database.ts';
import type { MemberSource } from '../store/members.repository.ts';
import type { Namespace, Project, User } from '../store/schema.ts';
import { groupAccessFacts, projectAccessFacts } from './access-facts.service.ts';
import type { AccessFacts } from './permissions.ts';

/** What members belong to: a project or a group. */
export type MemberTarget = { kind: 'project'; project: Project } | { kind: 'group'; group: Namespace };

/** The membership rows' source for a target. */
export function sourceOf(target: MemberTarget): MemberSource {
  return target.kind === 'project'
    ? { type: 'project', id: target.project.id }
    : { type: 'namespace', id: target.group.id };
}

/** The namespace whose ancestors a target inherits members from. */
export function inheritanceRootOf(target: MemberTarget): number | null {
  return target.kind === 'project' ? target.project.namespace_id : target.group.parent_id;
}

export function accessFactsFor(db: Executor, user: User, target: MemberTarget): Promise<AccessFacts> {
  return target.kind === 'project'
    ? projectAccessFacts(db, user, target.project)
    : groupAccessFacts(db, user, target.group);
}

/** For audit events: `{ type: 'project', id }` or `{ type: 'group', id }`. */
export function auditEntityOf(target: MemberTarget): { type: string; id: number } {
  return target.kind === 'project'
    ? { type: 'project', id: target.project.id }
    : { type: 'group', id: target.group.id };
}
