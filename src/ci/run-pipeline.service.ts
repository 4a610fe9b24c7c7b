import { badRequest, forbidden, type TesseraError } from '../errors/tessera-error.ts';
import { projectAccessFacts } from '../identity/access-facts.service.ts';
import type { ActingUser } from '../identity/acting-user.ts';
import { canWriteRepository, effectiveAccessLevel } from '../identity/permissions.ts';
import { authorizeProject } from '../identity/resource-access.ts';
import type { Pipeline, PipelineSource } from '../store/ci-schema.ts';
import type { Project } from '../store/schema.ts';
import type { CiDeps } from './ci-deps.ts';
import { createPipeline } from './create-pipeline.ts';
import { branchProtectionOf, pushAccessLevelFor } from './protected-refs.ts';
import type { PipelineVariableInput } from './variables/pipeline-variables.ts';

/**
 * Runs a pipeline for a branch or tag on request (`POST /projects/:id/pipeline?ref=`, source `api`
 * or `web`): developers may, and only those allowed to push a protected branch may run it there.
 *
 * @example
 * const pipeline = await runPipeline(deps, { user, ip }, '42', 'main', 'api');
 */
export async function runPipeline(
  deps: CiDeps,
  acting: ActingUser,
  projectRef: string,
  ref: string,
  source: Extract<PipelineSource, 'api' | 'web' | 'trigger'>,
  variables: readonly PipelineVariableInput[] = [],
): Promise<Pipeline> {
  const { project, facts } = await authorizeProject(deps.db, acting.user, projectRef, canWriteRepository);
  const resolved = await deps.repositories.resolveRef(project.id, ref);
  if (!resolved) throw baseError('Reference not found');
  if (resolved.type === 'branch')
    await assertMayRunOn(deps, project, resolved.ref, effectiveAccessLevel(facts));
  const outcome = await createPipeline(deps, {
    project,
    user: acting.user,
    ref: resolved.ref,
    refType: resolved.type,
    sha: resolved.sha,
    source,
    variables,
  });
  if (!outcome.created) {
    throw baseError(
      outcome.reason === 'missing_config'
        ? 'Missing CI config file'
        : 'Pipeline will not run for the selected trigger. The rules configuration prevented any jobs from being added to the pipeline.',
    );
  }
  return outcome.pipeline;
}

/** Whether the user may push (and so run pipelines) on a branch of the project. */
export async function mayPushTo(
  deps: CiDeps,
  project: Project,
  branch: string,
  accessLevel: number,
): Promise<boolean> {
  const required = pushAccessLevelFor(await branchProtectionOf(deps.db, project), branch);
  return required === undefined || accessLevel >= required;
}

async function assertMayRunOn(deps: CiDeps, project: Project, branch: string, level: number): Promise<void> {
  if (!(await mayPushTo(deps, project, branch, level))) {
    throw forbidden(
      '403 Forbidden - Insufficient permissions to create a new pipeline on a protected branch',
    );
  }
}

/** The access level the user holds in the project (for callers that start from a principal). */
export async function accessLevelIn(deps: CiDeps, acting: ActingUser, project: Project): Promise<number> {
  return effectiveAccessLevel(await projectAccessFacts(deps.db, acting.user, project));
}

/** GitLab answers pipeline refusals as `{"message":{"base":[…]}}`. */
function baseError(message: string): TesseraError {
  return badRequest('base', message);
}
