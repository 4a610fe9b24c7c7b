import type { CiProjectSettings, ProtectedBranch } from '../store/ci-schema.ts';
import { ciSettingsOf, listProtectedBranches } from '../store/ci-settings.repository.ts';
import type { Executor } from '../store/database.ts';
import type { Project } from '../store/schema.ts';
import { ACCESS_LEVELS } from '../identity/access-levels.ts';

/** Above every access level: what a rule allowing "No one" requires. */
const NO_ONE = Number.MAX_SAFE_INTEGER;

/** What decides whether a branch is protected: the default-branch setting and the protected-branch rules. */
export interface BranchProtection {
  defaultBranch: string;
  defaultBranchProtected: boolean;
  rules: readonly Pick<ProtectedBranch, 'name' | 'push_access_level'>[];
}

/**
 * The lowest access level that may push to `branch`, or undefined when it is not protected. The
 * default branch is protected for maintainers unless the project turned that off; a rule name may use
 * `*` wildcards (`release/*`).
 */
export function pushAccessLevelFor(protection: BranchProtection, branch: string): number | undefined {
  const levels = protection.rules
    .filter((rule) => matchesBranchPattern(rule.name, branch))
    // 0 is GitLab's "No one": a level nobody holds, administrators included.
    .map((rule) => (rule.push_access_level === 0 ? NO_ONE : rule.push_access_level));
  if (protection.defaultBranchProtected && branch === protection.defaultBranch) {
    levels.push(ACCESS_LEVELS.maintainer);
  }
  return levels.length > 0 ? Math.min(...levels) : undefined;
}

export function isProtectedBranch(protection: BranchProtection, branch: string): boolean {
  return pushAccessLevelFor(protection, branch) !== undefined;
}

function matchesBranchPattern(pattern: string, branch: string): boolean {
  if (!pattern.includes('*')) return pattern === branch;
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`);
  return regex.test(branch);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The project's branch protection, read from the store. */
export async function branchProtectionOf(
  db: Executor,
  project: Project,
  settings?: CiProjectSettings,
): Promise<BranchProtection> {
  const [ci, rules] = await Promise.all([
    settings ?? ciSettingsOf(db, project.id),
    listProtectedBranches(db, project.id),
  ]);
  return {
    defaultBranch: project.default_branch,
    defaultBranchProtected: ci.default_branch_protected === 1,
    rules,
  };
}
