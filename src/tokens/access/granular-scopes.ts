import { badRequest } from '../../errors/tessera-error.ts';
import { groupAccessFacts, projectAccessFacts } from '../../identity/access-facts.service.ts';
import { permissionNamed, type Boundary } from '../../identity/permission-catalogue.ts';
import { canSee } from '../../identity/permissions.ts';
import type { Executor } from '../../store/database.ts';
import { findNamespaceById } from '../../store/namespaces.repository.ts';
import { findProjectById } from '../../store/projects.repository.ts';
import type { AccessToken, User } from '../../store/schema.ts';

/*
 * Fine-grained personal access tokens hold catalogue permissions on boundaries instead of scopes. A
 * request names each boundary as GitLab's API does (`{access, permissions, project_ids?, group_ids?}`);
 * the token stores, and every answer shows, one grant per boundary with a single `project_id` or
 * `group_id` (or neither), the shape GitLab's clients read.
 */

/** Where a grant applies, by GitLab's names. */
export const GRANULAR_ACCESS = [
  'personal_projects',
  'all_memberships',
  'selected_memberships',
  'user',
  'instance',
] as const;

export type GranularAccess = (typeof GRANULAR_ACCESS)[number];

/** One grant as stored and answered. */
export interface GranularScope {
  access: GranularAccess;
  permissions: string[];
  project_id: number | null;
  group_id: number | null;
}

/** The catalogue boundaries a permission must apply at to be held with this access. */
const BOUNDARIES_OF: Readonly<Record<GranularAccess, readonly Boundary[]>> = {
  personal_projects: ['project', 'group'],
  all_memberships: ['project', 'group'],
  selected_memberships: ['project', 'group'],
  user: ['user'],
  instance: ['instance'],
};

const FIELD = 'granular_scopes';

/** Where a grant applies, in words (the web UI's token list and inspector). */
export function boundaryLabel(grant: Pick<GranularScope, 'access' | 'project_id' | 'group_id'>): string {
  if (grant.project_id !== null) return `project ${grant.project_id}`;
  if (grant.group_id !== null) return `group ${grant.group_id} and below`;
  return grant.access.replace('_', ' ');
}

/** The grants of a fine-grained token; null for a classic token. */
export function granularScopesOf(token: Pick<AccessToken, 'granular_scopes'>): GranularScope[] | null {
  if (token.granular_scopes === null || token.granular_scopes === undefined) return null;
  const parsed: unknown = JSON.parse(token.granular_scopes);
  return Array.isArray(parsed) ? (parsed as GranularScope[]) : [];
}

/**
 * The requested `granular_scopes`, checked entry by entry for `owner` (whose visibility decides which
 * projects and groups may be named), expanded to one grant per boundary. Every problem is a 400
 * naming `granular_scopes`; a project or group the owner cannot see is refused like one that does not
 * exist, so the answer reveals nothing.
 *
 * @example
 * await validateGranularScopes(db, owner, [{ access: 'selected_memberships', permissions: ['download_code'], project_ids: [7] }]);
 * // [{ access: 'selected_memberships', permissions: ['download_code'], project_id: 7, group_id: null }]
 */
export async function validateGranularScopes(
  db: Executor,
  owner: User,
  requested: unknown,
): Promise<GranularScope[]> {
  if (!Array.isArray(requested) || requested.length === 0) throw badRequest(FIELD, 'is invalid');
  const grants: GranularScope[] = [];
  for (const raw of requested) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw badRequest(FIELD, 'is invalid');
    const entry = raw as Record<string, unknown>;
    const access = entry.access;
    if (typeof access !== 'string' || !(GRANULAR_ACCESS as readonly string[]).includes(access)) {
      throw badRequest(`${FIELD}[access]`, 'does not have a valid value');
    }
    const permissions = permissionList(entry.permissions, access as GranularAccess);
    const projectIds = idList(entry.project_ids, 'project_ids');
    const groupIds = idList(entry.group_ids, 'group_ids');
    if (access !== 'selected_memberships') {
      if (projectIds.length > 0 || groupIds.length > 0) {
        throw badRequest(`${FIELD}[project_ids]`, 'are only allowed with selected_memberships access');
      }
      grants.push({ access: access as GranularAccess, permissions, project_id: null, group_id: null });
      continue;
    }
    if (projectIds.length === 0 && groupIds.length === 0) {
      throw badRequest(`${FIELD}[project_ids]`, 'or group_ids are required with selected_memberships access');
    }
    for (const id of projectIds) {
      const project = await findProjectById(db, id);
      if (!project || !canSee(await projectAccessFacts(db, owner, project))) {
        throw badRequest(`${FIELD}[project_ids]`, `contains a project that does not exist: ${id}`);
      }
      grants.push({ access: 'selected_memberships', permissions, project_id: id, group_id: null });
    }
    for (const id of groupIds) {
      const group = await findNamespaceById(db, id);
      if (group?.kind !== 'group' || !canSee(await groupAccessFacts(db, owner, group))) {
        throw badRequest(`${FIELD}[group_ids]`, `contains a group that does not exist: ${id}`);
      }
      grants.push({ access: 'selected_memberships', permissions, project_id: null, group_id: id });
    }
  }
  assertOnePerBoundary(grants);
  return grants;
}

function permissionList(raw: unknown, access: GranularAccess): string[] {
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every((p) => typeof p === 'string')) {
    throw badRequest(`${FIELD}[permissions]`, 'is missing');
  }
  const names = [...new Set(raw as string[])];
  const allowed = BOUNDARIES_OF[access];
  for (const name of names) {
    const permission = permissionNamed(name);
    if (!permission)
      throw badRequest(`${FIELD}[permissions]`, `does not have a valid value: ${printable(name)}`);
    if (!permission.boundaries.some((boundary) => allowed.includes(boundary))) {
      throw badRequest(`${FIELD}[permissions]`, `${name} does not apply with ${access} access`);
    }
  }
  return names;
}

function idList(raw: unknown, name: string): number[] {
  if (raw === undefined || raw === null) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  const ids = list.map((value) =>
    typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value,
  );
  if (!ids.every((id): id is number => Number.isSafeInteger(id) && (id as number) > 0)) {
    throw badRequest(`${FIELD}[${name}]`, 'is invalid');
  }
  return [...new Set(ids)];
}

/** As on GitLab, one grant per boundary: a second one for the same boundary is a mistake, not a merge. */
function assertOnePerBoundary(grants: readonly GranularScope[]): void {
  const seen = new Set<string>();
  for (const grant of grants) {
    const key = `${grant.access}:${grant.project_id ?? ''}:${grant.group_id ?? ''}`;
    if (seen.has(key)) throw badRequest(FIELD, 'has more than one entry for the same boundary');
    seen.add(key);
  }
}

/** A requested name as an error may echo it: short, and only characters a permission name has. */
function printable(name: string): string {
  return name.replace(/[^\w]/g, '').slice(0, 64);
}
