import type { Project } from '../store/schema.ts';
import { findUserById } from '../store/users.repository.ts';
import { ZERO_SHA } from '../git/repository-store.ts';
import type { RefUpdate } from '../git/receive-pack-commands.ts';
import type { CiDeps } from './ci-deps.ts';
import { createPipeline, type PipelineOutcome } from './create-pipeline.ts';

/**
 * The pipelines a push triggers: one per branch or tag it created or moved, for the commit the ref
 * now points at (a ref git refused to update triggers nothing), owned by the user who pushed.
 */
export async function pipelinesForPush(
  deps: CiDeps,
  project: Project,
  pusherId: number,
  updates: readonly RefUpdate[],
): Promise<PipelineOutcome[]> {
  const user = await findUserById(deps.db, pusherId);
  if (!user) return [];
  const outcomes: PipelineOutcome[] = [];
  for (const update of updates) {
    if (update.newSha === ZERO_SHA) continue;
    const branch = /^refs\/heads\/(.+)$/.exec(update.ref)?.[1];
    const tag = /^refs\/tags\/(.+)$/.exec(update.ref)?.[1];
    if (branch === undefined && tag === undefined) continue;
    if ((await deps.repositories.commitOf(project.id, update.ref)) !== update.newSha) continue;
    outcomes.push(
      await createPipeline(deps, {
        project,
        user,
        ref: (branch ?? tag)!,
        refType: branch !== undefined ? 'branch' : 'tag',
        sha: update.newSha,
        beforeSha: update.oldSha,
        source: 'push',
      }),
    );
  }
  return outcomes;
}
