import { branchProtectionOf, pushAccessLevelFor } from '../ci/protected-refs.ts';
import { notFound } from '../errors/tessera-error.ts';
import { ACCESS_LEVELS } from '../identity/access-levels.ts';
import { canReadRepository, effectiveAccessLevel } from '../identity/permissions.ts';
import { authorizeProject } from '../identity/resource-access.ts';
import type { Executor } from '../store/database.ts';
import type { Project, User } from '../store/schema.ts';
import type { BranchHead, RepositoryStore } from './repository-store.ts';

/** A branch as GitLab's branches API describes it, before presentation. */
export interface BranchView {
  head: BranchHead;
  merged: boolean;
  protected: boolean;
  default: boolean;
  developersCanPush: boolean;
  developersCanMerge: boolean;
  /** Whether the caller could push to it (never with a credential that cannot push, such as a job token). */
  canPush: boolean;
}

export interface BranchReadDeps {
  db: Executor;
  repositories: RepositoryStore;
}

export interface BranchReader {
  user: User | null;
  /** False for credentials that never push (a CI job token), whatever the user's role. */
  credentialCanPush: boolean;
}

/**
 * The project's branches, for whoever may read its code (reporter on a private project), sorted by
 * name; `search` keeps the names containing it (`^` anchors at the start and `$` at the end, as GitLab's).
 *
 * @example
 * const { branches } = await listProjectBranches(deps, { user, credentialCanPush: true }, 'platform/api');
 */
export async function listProjectBranches(
  deps: BranchReadDeps,
  reader: BranchReader,
  projectRef: string,
  search?: string,
): Promise<{ project: Project; branches: BranchView[] }> {
  const { project, views } = await branchViews(deps, reader, projectRef);
  return { project, branches: search ? views.filter((v) => matchesSearch(v.head.name, search)) : views };
}

/** One branch by name; 404 `Branch Not Found` when the repository has none of that name. */
export async function getProjectBranch(
  deps: BranchReadDeps,
  reader: BranchReader,
  projectRef: string,
  name: string,
): Promise<{ project: Project; branch: BranchView }> {
  const { project, views } = await branchViews(deps, reader, projectRef);
  const branch = views.find((v) => v.head.name === name);
  if (!branch) throw notFound('Branch');
  return { project, branch };
}

async function branchViews(deps: BranchReadDeps, reader: BranchReader, projectRef: string) {
  const { project, facts } = await authorizeProject(deps.db, reader.user, projectRef, canReadRepository);
  const [heads, merged, protection] = await Promise.all([
    deps.repositories.listBranches(project.id),
    deps.repositories.branchesMergedInto(project.id, project.default_branch),
    branchProtectionOf(deps.db, project),
  ]);
  const level = effectiveAccessLevel(facts);
  const views = heads.map((head): BranchView => {
    const pushLevel = pushAccessLevelFor(protection, head.name);
    const isDefault = head.name === project.default_branch;
    const developersCan = pushLevel !== undefined && pushLevel <= ACCESS_LEVELS.developer;
    return {
      head,
      merged: !isDefault && merged.has(head.name),
      protected: pushLevel !== undefined,
      default: isDefault,
      developersCanPush: developersCan,
      developersCanMerge: developersCan,
      canPush:
        reader.credentialCanPush &&
        level >= ACCESS_LEVELS.developer &&
        (pushLevel === undefined || level >= pushLevel),
    };
  });
  return { project, views };
}

function matchesSearch(name: string, search: string): boolean {
  const anchoredStart = search.startsWith('^');
  const anchoredEnd = search.endsWith('$') && search.length > (anchoredStart ? 1 : 0);
  const needle = search.slice(anchoredStart ? 1 : 0, anchoredEnd ? -1 : undefined).toLowerCase();
  const lower = name.toLowerCase();
  if (anchoredStart && anchoredEnd) return lower === needle;
  if (anchoredStart) return lower.startsWith(needle);
  if (anchoredEnd) return lower.endsWith(needle);
  return lower.includes(needle);
}
