import { recordAudit } from '../audit/audit-log.ts';
import { badRequest, notFound, TesseraError } from '../errors/tessera-error.ts';
import { actorFor, type ActingUser } from '../identity/acting-user.ts';
import { canManageProject, canSee } from '../identity/permissions.ts';
import { authorizeGroup, authorizeProject } from '../identity/resource-access.ts';
import { ciSettingsOf, updateCiSettings } from '../store/ci-settings.repository.ts';
import type { Executor } from '../store/database.ts';
import { inTransaction, isUniqueViolation } from '../store/in-transaction.ts';
import {
  countLinks,
  deleteGroupLink,
  deleteProjectLink,
  insertGroupLink,
  insertProjectLink,
  listGroupLinks,
  listJobTokenAuthorizations,
  listProjectLinks,
} from '../store/job-token-scope.repository.ts';
import { findNamespacesByIds } from '../store/namespaces.repository.ts';
import { findProjectById } from '../store/projects.repository.ts';
import type { Namespace, Project } from '../store/schema.ts';
import type { Clock } from '../util/clock.ts';
import { projectAccessFacts } from '../identity/access-facts.service.ts';

/** Entries a project's allowlist may hold, projects and groups together, as on the platform. */
export const ALLOWLIST_LIMIT = 200;

interface ScopeDeps {
  db: Executor;
  clock: Clock;
}

/** The project whose allowlist is being read or changed: maintainers only. */
async function managedProject(deps: ScopeDeps, acting: ActingUser, ref: string): Promise<Project> {
  return (await authorizeProject(deps.db, acting.user, ref, canManageProject)).project;
}

/** `GET /projects/:id/job_token_scope`. */
export async function jobTokenScope(deps: ScopeDeps, acting: ActingUser, ref: string) {
  const project = await managedProject(deps, acting, ref);
  const settings = await ciSettingsOf(deps.db, project.id);
  return { inbound_enabled: settings.job_token_inbound_enabled === 1, outbound_enabled: false };
}

/** `PATCH /projects/:id/job_token_scope {enabled}`: turning it off lets every project's jobs in (their users permitting). */
export async function setInboundScopeEnabled(
  deps: ScopeDeps,
  acting: ActingUser,
  ref: string,
  enabled: boolean,
) {
  const project = await managedProject(deps, acting, ref);
  await inTransaction(deps.db, async (trx) => {
    await updateCiSettings(
      trx,
      project.id,
      { job_token_inbound_enabled: enabled ? 1 : 0 },
      deps.clock.now().toISOString(),
    );
    await recordAudit(trx, deps.clock, actorFor(acting), {
      action: 'ci_job_token_scope.updated',
      entity: { type: 'project', id: project.id },
      target: { type: 'project', id: project.id, details: project.full_path },
      details: { inbound_enabled: enabled },
    });
  });
}

export async function allowlistedProjects(
  deps: ScopeDeps,
  acting: ActingUser,
  ref: string,
): Promise<Project[]> {
  const project = await managedProject(deps, acting, ref);
  const links = await listProjectLinks(deps.db, project.id);
  const projects = await Promise.all(links.map((l) => findProjectById(deps.db, l.target_project_id)));
  return projects.filter((p): p is Project => p !== undefined);
}

export async function allowlistedGroups(
  deps: ScopeDeps,
  acting: ActingUser,
  ref: string,
): Promise<Namespace[]> {
  const project = await managedProject(deps, acting, ref);
  const links = await listGroupLinks(deps.db, project.id);
  return findNamespacesByIds(
    deps.db,
    links.map((l) => l.target_group_id),
  );
}

/**
 * Lets the jobs of `targetProjectId` reach the project (`POST …/allowlist`). The maintainer must be
 * able to see the target; the target's jobs still act only as far as their users may.
 */
export async function allowlistProject(
  deps: ScopeDeps,
  acting: ActingUser,
  ref: string,
  targetProjectId: number,
) {
  const project = await managedProject(deps, acting, ref);
  const target = await findProjectById(deps.db, targetProjectId);
  if (!target || !canSee(await projectAccessFacts(deps.db, acting.user, target))) throw notFound('Project');
  await addLink(
    deps,
    acting,
    project,
    { type: 'project', id: target.id, path: target.full_path },
    (trx, at) =>
      insertProjectLink(trx, {
        sourceProjectId: project.id,
        targetProjectId: target.id,
        addedById: acting.user.id,
        createdAt: at,
      }),
  );
  return { source_project_id: project.id, target_project_id: target.id };
}

/** Lets the jobs of every project in a group (and its subgroups) reach the project. */
export async function allowlistGroup(
  deps: ScopeDeps,
  acting: ActingUser,
  ref: string,
  targetGroupId: number,
) {
  const project = await managedProject(deps, acting, ref);
  const { group } = await authorizeGroup(deps.db, acting.user, targetGroupId);
  await addLink(deps, acting, project, { type: 'group', id: group.id, path: group.full_path }, (trx, at) =>
    insertGroupLink(trx, {
      sourceProjectId: project.id,
      targetGroupId: group.id,
      addedById: acting.user.id,
      createdAt: at,
    }),
  );
  return { source_project_id: project.id, target_group_id: group.id };
}

async function addLink(
  deps: ScopeDeps,
  acting: ActingUser,
  project: Project,
  target: { type: 'project' | 'group'; id: number; path: string },
  insert: (trx: Executor, at: string) => Promise<unknown>,
): Promise<void> {
  try {
    await inTransaction(deps.db, async (trx) => {
      if ((await countLinks(trx, project.id)) >= ALLOWLIST_LIMIT) {
        throw badRequest(
          `target_${target.type}_id`,
          `cannot be added: the allowlist holds at most ${ALLOWLIST_LIMIT} entries`,
        );
      }
      await insert(trx, deps.clock.now().toISOString());
      await recordAudit(trx, deps.clock, actorFor(acting), {
        action: 'ci_job_token_scope.allowlist_added',
        entity: { type: 'project', id: project.id },
        target: { type: target.type, id: target.id, details: target.path },
      });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw badRequest(`target_${target.type}_id`, 'is already in the allowlist');
    throw error;
  }
}

/** Removes a project or group from the allowlist: its jobs are refused from the next request on. */
export async function removeFromAllowlist(
  deps: ScopeDeps,
  acting: ActingUser,
  ref: string,
  target: { type: 'project' | 'group'; id: number },
): Promise<void> {
  const project = await managedProject(deps, acting, ref);
  await inTransaction(deps.db, async (trx) => {
    const removed =
      target.type === 'project'
        ? await deleteProjectLink(trx, project.id, target.id)
        : await deleteGroupLink(trx, project.id, target.id);
    if (!removed)
      throw new TesseraError(
        'not_found',
        `404 ${target.type === 'project' ? 'Project' : 'Group'} link Not Found`,
      );
    await recordAudit(trx, deps.clock, actorFor(acting), {
      action: 'ci_job_token_scope.allowlist_removed',
      entity: { type: 'project', id: project.id },
      target: { type: target.type, id: target.id },
    });
  });
}

/** Which other projects' jobs authenticated to this one, when last and how often: for its maintainers. */
export async function jobTokenAuthorizationLog(deps: ScopeDeps, acting: ActingUser, ref: string) {
  const project = await managedProject(deps, acting, ref);
  const rows = await listJobTokenAuthorizations(deps.db, project.id);
  return Promise.all(
    rows.map(async (row) => {
      const origin = await findProjectById(deps.db, row.origin_project_id);
      return {
        origin_project: origin ? { id: origin.id, path_with_namespace: origin.full_path } : null,
        accessed_project: { id: project.id, path_with_namespace: project.full_path },
        last_authorized_at: row.last_authorized_at,
        count: row.count,
      };
    }),
  );
}
