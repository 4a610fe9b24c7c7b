import { recordAudit, type Actor } from '../audit/audit-log.ts';
import { constantTimeEqual, randomSecret } from '../crypto/secrets.ts';
import { badRequest, forbidden } from '../errors/tessera-error.ts';
import { actorFor, type ActingUser } from '../identity/acting-user.ts';
import { canManageProject } from '../identity/permissions.ts';
import { authorizeProject } from '../identity/resource-access.ts';
import type { Runner, RunnerEnvironment, RunnerType } from '../store/ci-schema.ts';
import { findRunnerByTokenDigest, insertRunner, touchRunner } from '../store/ci-runners.repository.ts';
import { inTransaction } from '../store/in-transaction.ts';
import type { CiDeps } from './ci-deps.ts';

/** The type prefix of runner authentication tokens. */
export const RUNNER_TOKEN_PREFIX = 'glrt-';
export const RUNNER_TYPES: readonly RunnerType[] = ['instance_type', 'project_type'];
export const RUNNER_ENVIRONMENTS: readonly RunnerEnvironment[] = ['self-hosted', 'gitlab-hosted'];

export interface NewRunnerInput {
  runnerType: RunnerType;
  /** The project of a `project_type` runner (id or full path). */
  project?: string | number;
  description?: string;
  tagList?: string[];
  runUntagged?: boolean;
  paused?: boolean;
  /** `gitlab-hosted` is the operator's own fleet: only an administrator registers one, and only instance-wide. */
  environment?: RunnerEnvironment;
}

/**
 * Registers a runner (`POST /user/runners`): instance runners by an administrator, project runners by
 * a maintainer of the project. Returns its `glrt-` authentication token once; only its digest is kept.
 *
 * @example
 * const { runner, token } = await createRunner(deps, { user: admin, ip }, { runnerType: 'instance_type' });
 */
export async function createRunner(
  deps: CiDeps,
  acting: ActingUser,
  input: NewRunnerInput,
): Promise<{ runner: Runner; token: string }> {
  const environment = input.environment ?? 'self-hosted';
  let projectId: number | null = null;
  if (input.runnerType === 'instance_type') {
    if (!acting.user.is_admin) throw forbidden();
  } else {
    if (input.project === undefined) throw badRequest('project_id', 'is missing');
    projectId = (await authorizeProject(deps.db, acting.user, input.project, canManageProject)).project.id;
  }
  if (environment === 'gitlab-hosted' && (input.runnerType !== 'instance_type' || !acting.user.is_admin)) {
    throw badRequest(
      'runner_environment',
      'gitlab-hosted is only for instance runners registered by an administrator',
    );
  }
  return issueRunner(deps, actorFor(acting), {
    runnerType: input.runnerType,
    projectId,
    environment,
    createdById: acting.user.id,
    input,
  });
}

/** What a new runner is made of, once whoever registers it has been authorized. */
export interface RunnerToIssue {
  runnerType: RunnerType;
  projectId: number | null;
  environment: RunnerEnvironment;
  createdById: number | null;
  input: Pick<NewRunnerInput, 'description' | 'tagList' | 'runUntagged' | 'paused'>;
  /** How it was registered, for the audit trail (a registration token, when not by a user). */
  registeredWith?: string;
}

/** Stores a new runner with a fresh `glrt-` token and audits it; the token is returned once. */
export async function issueRunner(
  deps: CiDeps,
  actor: Actor,
  runner: RunnerToIssue,
): Promise<{ runner: Runner; token: string }> {
  const { input, projectId, environment } = runner;
  const tags = input.tagList ?? [];
  if (tags.some((tag) => tag.trim() === '' || tag.length > 255)) throw badRequest('tag_list', 'is invalid');
  const prefix = deps.settings.tokenPrefix
    ? `${deps.settings.tokenPrefix}-${RUNNER_TOKEN_PREFIX}`
    : RUNNER_TOKEN_PREFIX;
  const token = `${prefix}${randomSecret()}`;
  const stored = await inTransaction(deps.db, async (trx) => {
    const created = await insertRunner(trx, {
      runner_type: runner.runnerType,
      project_id: projectId,
      description: input.description ?? '',
      token_digest: deps.digester.digest(token),
      environment,
      tag_list: JSON.stringify(tags.map((t) => t.trim())),
      run_untagged: input.runUntagged === false && tags.length > 0 ? 0 : 1,
      paused: input.paused ? 1 : 0,
      created_by_id: runner.createdById,
      created_at: deps.clock.now().toISOString(),
      contacted_at: null,
    });
    await recordAudit(trx, deps.clock, actor, {
      action: 'runner.created',
      entity: { type: 'ci_runner', id: created.id },
      target: projectId === null ? { type: 'instance', id: null } : { type: 'project', id: projectId },
      details: {
        runner_type: created.runner_type,
        runner_environment: environment,
        ...(runner.registeredWith ? { registered_with: runner.registeredWith } : {}),
      },
    });
    return created;
  });
  deps.metrics.tokensIssued.inc({ type: 'runner_authentication_token' });
  return { runner: stored, token };
}

/** The runner a `glrt-` token belongs to, recording the contact; undefined for an unknown token. */
export async function authenticateRunner(deps: CiDeps, token: unknown): Promise<Runner | undefined> {
  if (typeof token !== 'string' || token.length > 1024 || !token.includes(RUNNER_TOKEN_PREFIX))
    return undefined;
  const digest = deps.digester.digest(token);
  const runner = await findRunnerByTokenDigest(deps.db, digest);
  if (!runner || !constantTimeEqual(runner.token_digest, digest)) return undefined;
  await touchRunner(deps.db, runner.id, deps.clock.now().toISOString());
  return runner;
}
