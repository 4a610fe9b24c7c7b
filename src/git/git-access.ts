import { forbidden, TesseraError, unauthorized } from '../errors/tessera-error.ts';
import { projectAccessFacts } from '../identity/access-facts.service.ts';
import { PERMISSIONS, type Permission } from '../identity/permission-catalogue.ts';
import { hasAnyScope } from '../identity/principal.ts';
import {
  canReadRepository,
  canSee,
  canWriteRepository,
  effectiveAccessLevel,
} from '../identity/permissions.ts';
import type { Executor } from '../store/database.ts';
import type { Project } from '../store/schema.ts';
import { assertGranularPermissions } from '../tokens/access/granular-access.ts';
import type { BasicIdentity } from '../tokens/basic-credentials.ts';

export type GitOperation = 'read' | 'write';

/** The catalogue entry each git operation needs: GitLab's Code: Download (clone, fetch) and Code: Push. */
export const GIT_OPERATION_PERMISSIONS: Readonly<Record<GitOperation, Permission>> = {
  read: PERMISSIONS.downloadCode,
  write: PERMISSIONS.pushCode,
};

/** Who a git request runs as, once it is allowed. */
export interface GitAccess {
  /** `REMOTE_USER` for git http-backend (it refuses a push without one). */
  remoteUser: string | undefined;
  /** The acting user's access level in the project (deploy tokens: none). */
  accessLevel: number;
  /** The user who pushes, to own the pipelines the push triggers; null for a deploy token. */
  userId: number | null;
}

// `ai_workflows` reaches git as on the platform (download_code + push_code): a workflow's composite
// token clones and pushes its branch; permissions are still the intersection of both identities.
const READ_SCOPES = ['api', 'read_repository', 'write_repository', 'ai_workflows'];
const WRITE_SCOPES = ['api', 'write_repository', 'ai_workflows'];

/** The platform's message for a repository that does not exist or is hidden from the caller. */
const NOT_FOUND_MESSAGE =
  "The project you were looking for could not be found or you don't have permission to view it.";

/**
 * Decides whether a git request may read (clone, fetch) or write (push) the project's repository.
 * Anonymous: read of a public project only; otherwise 401 so git retries with credentials. A deploy
 * token: its scopes and the projects it reaches. A user's credential: its scopes, its project scope
 * (a CI job token: its project and the projects that allowlist it; clone only), and the user's own
 * permission — 404 when the project is hidden, 403 when visible but not allowed.
 */
export async function authorizeGitAccess(
  db: Executor,
  identity: BasicIdentity | null,
  project: Project | undefined,
  operation: GitOperation,
): Promise<GitAccess> {
  if (!identity) {
    if (project && operation === 'read' && project.visibility === 'public') {
      return { remoteUser: undefined, accessLevel: 0, userId: null };
    }
    throw unauthorized();
  }
  if (!project) throw notFoundError();

  if (identity.type === 'deploy_token') {
    const scope = operation === 'read' ? 'read_repository' : 'write_repository';
    if (!(await identity.reaches(project.id))) throw notFoundError();
    if (!identity.scopes.includes(scope))
      throw forbidden('403 Forbidden - the deploy token lacks the scope for this operation');
    return { remoteUser: identity.username, accessLevel: 0, userId: null };
  }

  const { principal } = identity;
  const facts = await projectAccessFacts(db, principal.user, project);
  if (!canSee(facts)) throw notFoundError();
  const { credential } = principal;
  if (credential.projectScope && !(await credential.projectScope.allows(project.id))) {
    throw forbidden(
      "403 Forbidden - this project's CI/CD job token allowlist does not admit the job's project",
    );
  }
  if (credential.granular) {
    // A fine-grained token has no scopes: Code: Download or Code: Push on a boundary holding the project.
    await assertGranularPermissions(
      db,
      principal.user,
      credential.granular.scopes,
      [GIT_OPERATION_PERMISSIONS[operation]],
      { kind: 'project', project },
    );
    credential.granular.admitted = true;
  }
  if (operation === 'write') {
    if (credential.kind === 'ci_job_token')
      throw forbidden('403 Forbidden - a CI job token cannot push code');
    if (!hasAnyScope(principal, WRITE_SCOPES))
      throw forbidden('403 Forbidden - the token lacks the write_repository scope');
    if (!canWriteRepository(facts))
      throw forbidden('403 Forbidden - you are not allowed to push code to this project');
  } else {
    if (!hasAnyScope(principal, READ_SCOPES))
      throw forbidden('403 Forbidden - the token lacks the read_repository scope');
    if (!canReadRepository(facts))
      throw forbidden('403 Forbidden - you are not allowed to download code from this project');
  }
  return {
    remoteUser: principal.user.username,
    accessLevel: effectiveAccessLevel(facts),
    userId: principal.user.id,
  };
}

function notFoundError(): TesseraError {
  return new TesseraError('not_found', NOT_FOUND_MESSAGE);
}
