import { recordAudit } from '../audit/audit-log.ts';
import { randomSecret } from '../crypto/secrets.ts';
import { forbidden, notFound, TesseraError } from '../errors/tessera-error.ts';
import { projectAccessFacts } from '../identity/access-facts.service.ts';
import { actorFor, type ActingUser } from '../identity/acting-user.ts';
import { canManageProject, canWriteRepository } from '../identity/permissions.ts';
import { authorizeProject } from '../identity/resource-access.ts';
import type { Pipeline } from '../store/ci-schema.ts';
import { inTransaction } from '../store/in-transaction.ts';
import {
  deletePipelineTrigger,
  findPipelineTriggerByDigest,
  findProjectPipelineTrigger,
  updatePipelineTriggerDescription,
  insertPipelineTrigger,
  listPipelineTriggers,
  touchPipelineTrigger,
} from '../store/pipeline-triggers.repository.ts';
import type { PipelineTrigger } from '../store/pipeline-triggers.tables.ts';
import { findProjectByRef } from '../store/projects.repository.ts';
import type { Project, User } from '../store/schema.ts';
import { findUserById } from '../store/users.repository.ts';
import type { CiDeps } from './ci-deps.ts';
import { runPipeline } from './run-pipeline.service.ts';
import type { PipelineVariableInput } from './variables/pipeline-variables.ts';

/** The type prefix of pipeline trigger tokens. */
export const TRIGGER_TOKEN_PREFIX = 'glptt-';

/**
 * Creates a trigger token for the project (maintainers): its plaintext is returned once, only its
 * keyed digest is stored, and the creation is audited.
 *
 * @example
 * const { trigger, token } = await createPipelineTrigger(deps, { user, ip }, '42', 'deploy from CD');
 */
export async function createPipelineTrigger(
  deps: CiDeps,
  acting: ActingUser,
  projectRef: string,
  description: string,
): Promise<{ trigger: PipelineTrigger; project: Project; token: string }> {
  const { project } = await authorizeProject(deps.db, acting.user, projectRef, canManageProject);
  const prefix = deps.settings.tokenPrefix
    ? `${deps.settings.tokenPrefix}-${TRIGGER_TOKEN_PREFIX}`
    : TRIGGER_TOKEN_PREFIX;
  const token = `${prefix}${randomSecret()}`;
  const trigger = await inTransaction(deps.db, async (trx) => {
    const created = await insertPipelineTrigger(trx, {
      project_id: project.id,
      owner_id: acting.user.id,
      description,
      token_digest: deps.digester.digest(token),
      token_hint: token.slice(0, prefix.length + 4),
      created_at: deps.clock.now().toISOString(),
      last_used: null,
    });
    await recordAudit(trx, deps.clock, actorFor(acting), {
      action: 'pipeline_trigger.created',
      entity: { type: 'Project', id: project.id },
      target: { type: 'Ci::Trigger', id: created.id, details: description },
    });
    return created;
  });
  return { trigger, project, token };
}

/** The project's triggers (maintainers), without their tokens. */
export async function listProjectTriggers(
  deps: CiDeps,
  acting: ActingUser,
  projectRef: string,
): Promise<PipelineTrigger[]> {
  const { project } = await authorizeProject(deps.db, acting.user, projectRef, canManageProject);
  return listPipelineTriggers(deps.db, project.id);
}

/** One trigger of the project (maintainers), without its token; 404 for another project's. */
export async function findProjectTrigger(
  deps: CiDeps,
  acting: ActingUser,
  projectRef: string,
  triggerId: number,
): Promise<PipelineTrigger> {
  const { project } = await authorizeProject(deps.db, acting.user, projectRef, canManageProject);
  const trigger = await findProjectPipelineTrigger(deps.db, project.id, triggerId);
  if (!trigger) throw notFound('Trigger');
  return trigger;
}

/** Changes a trigger's description (maintainers); its token is untouched. Audited. */
export async function updateProjectTrigger(
  deps: CiDeps,
  acting: ActingUser,
  projectRef: string,
  triggerId: number,
  description: string,
): Promise<PipelineTrigger> {
  const { project } = await authorizeProject(deps.db, acting.user, projectRef, canManageProject);
  return inTransaction(deps.db, async (trx) => {
    const updated = await updatePipelineTriggerDescription(trx, project.id, triggerId, description);
    if (!updated) throw notFound('Trigger');
    await recordAudit(trx, deps.clock, actorFor(acting), {
      action: 'pipeline_trigger.updated',
      entity: { type: 'Project', id: project.id },
      target: { type: 'Ci::Trigger', id: triggerId, details: description },
    });
    return updated;
  });
}

/** Deletes a trigger (maintainers); its token stops working at once. Audited. */
export async function deleteProjectTrigger(
  deps: CiDeps,
  acting: ActingUser,
  projectRef: string,
  triggerId: number,
): Promise<void> {
  const { project } = await authorizeProject(deps.db, acting.user, projectRef, canManageProject);
  await inTransaction(deps.db, async (trx) => {
    if (!(await deletePipelineTrigger(trx, project.id, triggerId))) throw notFound('Trigger');
    await recordAudit(trx, deps.clock, actorFor(acting), {
      action: 'pipeline_trigger.deleted',
      entity: { type: 'Project', id: project.id },
      target: { type: 'Ci::Trigger', id: triggerId },
    });
  });
}

/**
 * Runs a pipeline with a trigger token (source `trigger`), as the trigger's owner. An unknown token,
 * or one of another project, is answered 404 as GitLab does; an owner who was deleted, blocked or
 * lost developer access makes the trigger refuse with 403.
 */
export async function runTriggeredPipeline(
  deps: CiDeps,
  input: {
    projectRef: string;
    token: string;
    ref: string;
    ip: string | null;
    variables?: readonly PipelineVariableInput[];
  },
): Promise<{ pipeline: Pipeline; project: Project; owner: User }> {
  const project = await findProjectByRef(deps.db, input.projectRef);
  const trigger = project
    ? await findPipelineTriggerByDigest(deps.db, deps.digester.digest(input.token))
    : undefined;
  if (!project || !trigger || trigger.project_id !== project.id) {
    throw new TesseraError('not_found', '404 Not Found');
  }
  const owner = trigger.owner_id === null ? undefined : await findUserById(deps.db, trigger.owner_id);
  if (!owner || owner.state !== 'active') throw forbidden();
  if (!canWriteRepository(await projectAccessFacts(deps.db, owner, project))) throw forbidden();
  await touchPipelineTrigger(deps.db, trigger.id, deps.clock.now().toISOString());
  const pipeline = await runPipeline(
    deps,
    { user: owner, ip: input.ip },
    String(project.id),
    input.ref,
    'trigger',
    input.variables ?? [],
  );
  return { pipeline, project, owner };
}
