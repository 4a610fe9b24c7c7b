import { recordAudit, type Actor } from '../audit/audit-log.ts';
import { randomSecret } from '../crypto/secrets.ts';
import { badRequest, forbidden, notFound } from '../errors/tessera-error.ts';
import { projectAccessFacts } from '../identity/access-facts.service.ts';
import { actorFor, type ActingUser } from '../identity/acting-user.ts';
import { canManageProject, canReadGroupRunners } from '../identity/permissions.ts';
import { authorizeGroup, authorizeProject } from '../identity/resource-access.ts';
import type { Runner, RunnerType } from '../store/ci-schema.ts';
import { listRunningJobsOfRunner } from '../store/ci-jobs.repository.ts';
import { deleteRunner, findRunnerById, listRunners, updateRunner } from '../store/ci-runners.repository.ts';
import { inTransaction } from '../store/in-transaction.ts';
import { findProjectById } from '../store/projects.repository.ts';
import type { User } from '../store/schema.ts';
import type { CiDeps } from './ci-deps.ts';
import { finishJob } from './finish-job.ts';
import { authenticateRunner, RUNNER_TOKEN_PREFIX } from './runner.service.ts';

/*
 * Runners as people manage them (runners.html): list, inspect, change, delete, and reset a runner's
 * authentication token. Administrators manage every runner; a project's maintainers manage its project
 * runners; everyone may look at instance runners, which serve everybody.
 */

/** A runner not heard from for this long is offline; after a week without contact, stale (as on the platform). */
const ONLINE_WINDOW_MS = 2 * 3600 * 1000;
const STALE_AFTER_MS = 7 * 24 * 3600 * 1000;

export type RunnerStatus = 'online' | 'offline' | 'stale' | 'never_contacted';
export const RUNNER_STATUSES: readonly RunnerStatus[] = ['online', 'offline', 'stale', 'never_contacted'];

export function runnerStatus(runner: Runner, now: Date): RunnerStatus {
  const age = (at: string) => now.getTime() - Date.parse(at);
  if (runner.contacted_at === null)
    return age(runner.created_at) > STALE_AFTER_MS ? 'stale' : 'never_contacted';
  const silence = age(runner.contacted_at);
  if (silence <= ONLINE_WINDOW_MS) return 'online';
  return silence > STALE_AFTER_MS ? 'stale' : 'offline';
}

/** The filters of the runner lists. */
export interface RunnerFilter {
  type?: RunnerType | 'group_type';
  paused?: boolean;
  status?: RunnerStatus;
  /** Every one of these tags. */
  tagList?: readonly string[];
}

export const runnerTags = (runner: Runner): string[] => JSON.parse(runner.tag_list) as string[];

function matches(runner: Runner, filter: RunnerFilter, now: Date): boolean {
  if (filter.type !== undefined && runner.runner_type !== filter.type) return false;
  if (filter.paused !== undefined && (runner.paused === 1) !== filter.paused) return false;
  if (filter.status !== undefined && runnerStatus(runner, now) !== filter.status) return false;
  const tags = runnerTags(runner);
  return (filter.tagList ?? []).every((tag) => tags.includes(tag));
}

async function mayManage(deps: CiDeps, user: User, runner: Runner): Promise<boolean> {
  if (user.is_admin === 1) return true;
  if (runner.project_id === null) return false;
  const project = await findProjectById(deps.db, runner.project_id);
  return project !== undefined && canManageProject(await projectAccessFacts(deps.db, user, project));
}

/** `GET /runners`: the project runners the user manages (every project runner, for an administrator). */
export async function listOwnedRunners(deps: CiDeps, user: User, filter: RunnerFilter): Promise<Runner[]> {
  const now = deps.clock.now();
  const owned: Runner[] = [];
  for (const runner of await listRunners(deps.db)) {
    if (runner.runner_type !== 'project_type' || !matches(runner, filter, now)) continue;
    if (await mayManage(deps, user, runner)) owned.push(runner);
  }
  return owned;
}

/** `GET /runners/all`: every runner (administrators). */
export async function listAllRunners(deps: CiDeps, user: User, filter: RunnerFilter): Promise<Runner[]> {
  if (user.is_admin !== 1) throw forbidden();
  const now = deps.clock.now();
  return (await listRunners(deps.db)).filter((runner) => matches(runner, filter, now));
}

/** `GET /projects/:id/runners`: the project's own runners and the instance runners (maintainers). */
export async function listProjectRunners(
  deps: CiDeps,
  acting: ActingUser,
  projectRef: string,
  filter: RunnerFilter,
): Promise<Runner[]> {
  const { project } = await authorizeProject(deps.db, acting.user, projectRef, canManageProject);
  const now = deps.clock.now();
  return (await listRunners(deps.db)).filter(
    (runner) =>
      (runner.runner_type === 'instance_type' || runner.project_id === project.id) &&
      matches(runner, filter, now),
  );
}

/**
 * `GET /groups/:id/runners`: Tessera has no group runners, so the instance runners serving the group,
 * for its maintainers (as on GitLab: a developer may use them, not list them).
 */
export async function listGroupRunners(
  deps: CiDeps,
  acting: ActingUser,
  groupRef: string,
  filter: RunnerFilter,
): Promise<Runner[]> {
  await authorizeGroup(deps.db, acting.user, groupRef, canReadGroupRunners);
  const now = deps.clock.now();
  return (await listRunners(deps.db)).filter(
    (runner) => runner.runner_type === 'instance_type' && matches(runner, filter, now),
  );
}

/** One runner: 404 when there is none, 403 when the user may neither manage it nor use it as everyone may. */
export async function findVisibleRunner(deps: CiDeps, user: User, id: number): Promise<Runner> {
  const runner = Number.isSafeInteger(id) ? await findRunnerById(deps.db, id) : undefined;
  if (!runner) throw notFound('Runner');
  if (runner.runner_type === 'instance_type' || (await mayManage(deps, user, runner))) return runner;
  throw forbidden('403 Forbidden - No access granted');
}

async function managedRunner(deps: CiDeps, user: User, id: number): Promise<Runner> {
  const runner = await findVisibleRunner(deps, user, id);
  if (!(await mayManage(deps, user, runner))) throw forbidden('403 Forbidden - No access granted');
  return runner;
}

export interface RunnerChanges {
  description?: string;
  paused?: boolean;
  tagList?: readonly string[];
  runUntagged?: boolean;
}

/** `PUT /runners/:id`: description, paused (or `active`), tags and untagged jobs. Audited. */
export async function changeRunner(
  deps: CiDeps,
  acting: ActingUser,
  id: number,
  changes: RunnerChanges,
): Promise<Runner> {
  const runner = await managedRunner(deps, acting.user, id);
  if (changes.tagList?.some((tag) => tag.trim() === '' || tag.length > 255))
    throw badRequest('tag_list', 'is invalid');
  const update: Parameters<typeof updateRunner>[2] = {};
  if (changes.description !== undefined) update.description = changes.description;
  if (changes.paused !== undefined) update.paused = changes.paused ? 1 : 0;
  if (changes.tagList !== undefined)
    update.tag_list = JSON.stringify(changes.tagList.map((tag) => tag.trim()));
  if (changes.runUntagged !== undefined) update.run_untagged = changes.runUntagged ? 1 : 0;
  if (Object.keys(update).length === 0) return runner;
  return inTransaction(deps.db, async (trx) => {
    const updated = (await updateRunner(trx, runner.id, update))!;
    await recordAudit(trx, deps.clock, actorFor(acting), {
      action: 'runner.updated',
      entity: { type: 'ci_runner', id: runner.id },
      details: { changed: Object.keys(update) },
    });
    return updated;
  });
}

/**
 * Gives the runner a new `glrt-` token; the old one is refused from this moment. Returns the new
 * token once; only its digest is kept.
 */
export async function resetRunnerToken(
  deps: CiDeps,
  acting: ActingUser,
  id: number,
): Promise<{ runner: Runner; token: string }> {
  const runner = await managedRunner(deps, acting.user, id);
  return replaceRunnerToken(deps, actorFor(acting), runner);
}

/** Gives the runner a new `glrt-` token; the old one is refused from the next request on. */
export async function replaceRunnerToken(
  deps: CiDeps,
  actor: Actor,
  runner: Runner,
  details?: Record<string, unknown>,
): Promise<{ runner: Runner; token: string }> {
  const prefix = deps.settings.tokenPrefix
    ? `${deps.settings.tokenPrefix}-${RUNNER_TOKEN_PREFIX}`
    : RUNNER_TOKEN_PREFIX;
  const token = `${prefix}${randomSecret()}`;
  const updated = await inTransaction(deps.db, async (trx) => {
    const changed = (await updateRunner(trx, runner.id, { token_digest: deps.digester.digest(token) }))!;
    await recordAudit(trx, deps.clock, actor, {
      action: 'runner.token_reset',
      entity: { type: 'ci_runner', id: runner.id },
      ...(details ? { details } : {}),
    });
    return changed;
  });
  deps.metrics.tokensIssued.inc({ type: 'runner_authentication_token' });
  return { runner: updated, token };
}

/**
 * Deletes a runner: its token is refused at once, and the jobs it was running fail
 * (`runner_system_failure`), so their job tokens die with them. Each step is audited.
 */
export async function removeRunner(deps: CiDeps, actor: Actor, runner: Runner): Promise<void> {
  const running = await listRunningJobsOfRunner(deps.db, runner.id);
  await inTransaction(deps.db, async (trx) => {
    await recordAudit(trx, deps.clock, actor, {
      action: 'runner.deleted',
      entity: { type: 'ci_runner', id: runner.id },
    });
    await deleteRunner(trx, runner.id);
  });
  for (const job of running) {
    await finishJob(deps, job, { status: 'failed', failureReason: 'runner_system_failure' }, actor);
  }
}

/** `DELETE /runners/:id`. */
export async function deleteRunnerById(deps: CiDeps, acting: ActingUser, id: number): Promise<void> {
  await removeRunner(deps, actorFor(acting), await managedRunner(deps, acting.user, id));
}

/** Unregisters the runner whose token this is (`DELETE /runners`); false for an unknown token. */
export async function unregisterRunner(deps: CiDeps, token: unknown): Promise<boolean> {
  const runner = await authenticateRunner(deps, token);
  if (!runner) return false;
  await removeRunner(deps, { userId: null, name: `runner:${runner.id}`, ip: null }, runner);
  return true;
}
