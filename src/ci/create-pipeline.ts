import type { Job, Pipeline, PipelineSource } from '../store/ci-schema.ts';
import { insertJob } from '../store/ci-jobs.repository.ts';
import { insertPipeline } from '../store/ci-pipelines.repository.ts';
import { ciSettingsOf } from '../store/ci-settings.repository.ts';
import { inTransaction } from '../store/in-transaction.ts';
import type { Project, User } from '../store/schema.ts';
import { ZERO_SHA } from '../git/repository-store.ts';
import type { CiDeps } from './ci-deps.ts';
import { storedDefinition } from './job-definition.ts';
import { parsePipelineConfig } from './pipeline-config.ts';
import { selectJobs } from './select-jobs.ts';
import { insertPipelineVariables } from '../store/ci-variables.repository.ts';
import { pipelineVariableSealContext, type PipelineVariableInput } from './variables/pipeline-variables.ts';

/** The file a pipeline reads its jobs from, at the pipeline's commit. */
export const CI_CONFIG_PATH = '.gitlab-ci.yml';

/** What a pipeline runs for and who asked. */
export interface PipelineTrigger {
  project: Project;
  user: User;
  ref: string;
  refType: 'branch' | 'tag';
  sha: string;
  beforeSha?: string;
  source: PipelineSource;
  /** Variables the pipeline is started with (a trigger's): kept sealed, given to every job. */
  variables?: readonly PipelineVariableInput[];
}

/**
 * A pipeline with its jobs; a failed pipeline with `yaml_errors` and no job when the configuration is
 * refused; or why none was created (no `.gitlab-ci.yml`, or its rules selected no job).
 */
export type PipelineOutcome =
  | { created: true; pipeline: Pipeline; jobs: Job[] }
  | { created: false; reason: 'missing_config' | 'no_jobs' };

/**
 * Creates the pipeline for a commit from the `.gitlab-ci.yml` at that commit. Jobs of the first stage
 * with jobs are pending at once (and runners are woken); the rest wait in `created`.
 *
 * @example
 * const outcome = await createPipeline(deps, { project, user, ref: 'main', refType: 'branch', sha, source: 'push' });
 */
export async function createPipeline(deps: CiDeps, trigger: PipelineTrigger): Promise<PipelineOutcome> {
  const { project } = trigger;
  const text = await deps.repositories.readFile(project.id, trigger.sha, CI_CONFIG_PATH);
  if (text === undefined) return { created: false, reason: 'missing_config' };
  const now = deps.clock.now().toISOString();
  const base = {
    project_id: project.id,
    ref: trigger.ref,
    tag: trigger.refType === 'tag' ? 1 : 0,
    sha: trigger.sha,
    before_sha: trigger.beforeSha ?? ZERO_SHA,
    source: trigger.source,
    user_id: trigger.user.id,
    created_at: now,
    started_at: null,
  };

  const parsed = parsePipelineConfig(text);
  if (!parsed.ok) {
    const pipeline = await insertPipeline(deps.db, {
      ...base,
      status: 'failed',
      yaml_errors: parsed.errors.join('; '),
      finished_at: now,
    });
    return { created: true, pipeline, jobs: [] };
  }
  const { config } = parsed;
  const selected = selectJobs(config, {
    CI_COMMIT_REF_NAME: trigger.ref,
    CI_PIPELINE_SOURCE: trigger.source,
    CI_DEFAULT_BRANCH: project.default_branch,
    CI_PROJECT_PATH: project.full_path,
    [trigger.refType === 'tag' ? 'CI_COMMIT_TAG' : 'CI_COMMIT_BRANCH']: trigger.ref,
    ...config.variables,
    // Pipeline variables take part in `rules:`, as on the platform.
    ...Object.fromEntries((trigger.variables ?? []).map((v) => [v.key, v.value])),
  });
  if (selected.length === 0) return { created: false, reason: 'no_jobs' };

  const settings = await ciSettingsOf(deps.db, project.id);
  const firstStage = Math.min(...selected.map((job) => config.stages.indexOf(job.stage)));
  const result = await inTransaction(deps.db, async (trx) => {
    const pipeline = await insertPipeline(trx, {
      ...base,
      status: 'pending',
      yaml_errors: null,
      finished_at: null,
    });
    await insertPipelineVariables(
      trx,
      (trigger.variables ?? []).map((v) => ({
        pipeline_id: pipeline.id,
        key: v.key,
        value_sealed: deps.box.seal(v.value, pipelineVariableSealContext(pipeline.id, v.key)),
        variable_type: v.variableType,
      })),
    );
    const jobs: Job[] = [];
    for (const job of selected) {
      const stageIdx = config.stages.indexOf(job.stage);
      jobs.push(
        await insertJob(trx, {
          pipeline_id: pipeline.id,
          project_id: project.id,
          name: job.name,
          stage: job.stage,
          stage_idx: stageIdx,
          status: stageIdx === firstStage ? 'pending' : 'created',
          failure_reason: null,
          user_id: trigger.user.id,
          runner_id: null,
          definition: JSON.stringify(storedDefinition(job, config.variables)),
          tag_list: JSON.stringify(job.tags),
          timeout_seconds: job.timeoutSeconds ?? settings.job_timeout_seconds,
          token_digest: null,
          created_at: now,
          queued_at: stageIdx === firstStage ? now : null,
          started_at: null,
          finished_at: null,
        }),
      );
    }
    return { pipeline, jobs };
  });
  deps.queue.notify();
  return { created: true, ...result };
}
