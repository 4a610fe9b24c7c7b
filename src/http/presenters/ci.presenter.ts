import type { JobSummary, Pipeline, Runner } from '../../store/ci-schema.ts';
import type { Project, User } from '../../store/schema.ts';
import { presentUserBasic } from './user.presenter.ts';

/*
 * GitLab's pipeline, job and runner entities, with the fields a client of the CI API reads.
 */

const seconds = (from: string | null, to: string | null): number | null =>
  from && to ? (new Date(to).getTime() - new Date(from).getTime()) / 1000 : null;

/** The pipeline as listed (`GET /projects/:id/pipelines`) and embedded in a job. */
export function presentPipelineBasic(
  pipeline: Pipeline,
  project: Pick<Project, 'full_path'>,
  externalUrl: string,
) {
  return {
    id: pipeline.id,
    iid: pipeline.id,
    project_id: pipeline.project_id,
    sha: pipeline.sha,
    ref: pipeline.ref,
    status: pipeline.status,
    source: pipeline.source,
    created_at: pipeline.created_at,
    updated_at: pipeline.finished_at ?? pipeline.started_at ?? pipeline.created_at,
    web_url: `${externalUrl}/${project.full_path}/-/pipelines/${pipeline.id}`,
  };
}

/** The single pipeline (`GET /projects/:id/pipelines/:pipeline_id`), with its configuration errors. */
export function presentPipeline(
  pipeline: Pipeline,
  project: Pick<Project, 'full_path'>,
  user: User | undefined,
  externalUrl: string,
) {
  // Object.assign, not a spread: see user.presenter.ts.
  return Object.assign(presentPipelineBasic(pipeline, project, externalUrl), {
    before_sha: pipeline.before_sha,
    tag: pipeline.tag === 1,
    yaml_errors: pipeline.yaml_errors,
    user: user ? presentUserBasic(user, externalUrl) : null,
    started_at: pipeline.started_at,
    finished_at: pipeline.finished_at,
    committed_at: null,
    duration: seconds(pipeline.started_at, pipeline.finished_at),
    queued_duration: seconds(pipeline.created_at, pipeline.started_at),
    coverage: null,
    detailed_status: { text: pipeline.status, label: pipeline.status, group: pipeline.status },
  });
}

export function presentRunner(runner: Runner) {
  return {
    id: runner.id,
    description: runner.description,
    active: runner.paused === 0,
    paused: runner.paused === 1,
    is_shared: runner.runner_type === 'instance_type',
    runner_type: runner.runner_type,
    name: 'tessera-runner',
    online: runner.contacted_at !== null,
    status: runner.contacted_at !== null ? 'online' : 'never_contacted',
    runner_environment: runner.environment,
  };
}

/** The job entity (`GET /projects/:id/jobs/:job_id`, `GET /job`). */
export function presentJob(
  job: JobSummary,
  related: {
    pipeline: Pipeline;
    project: Pick<Project, 'full_path'>;
    user: User | undefined;
    runner: Runner | undefined;
    jobTokenScopeEnabled: boolean;
  },
  externalUrl: string,
) {
  const { pipeline } = related;
  return {
    id: job.id,
    status: job.status,
    stage: job.stage,
    name: job.name,
    ref: pipeline.ref,
    tag: pipeline.tag === 1,
    coverage: null,
    allow_failure: false,
    created_at: job.created_at,
    started_at: job.started_at,
    finished_at: job.finished_at,
    erased_at: null,
    duration: seconds(job.started_at, job.finished_at),
    queued_duration: seconds(job.queued_at, job.started_at),
    user: related.user ? presentUserBasic(related.user, externalUrl) : null,
    commit: { id: pipeline.sha, short_id: pipeline.sha.slice(0, 8) },
    pipeline: presentPipelineBasic(pipeline, related.project, externalUrl),
    failure_reason: job.failure_reason ?? undefined,
    web_url: `${externalUrl}/${related.project.full_path}/-/jobs/${job.id}`,
    project: { ci_job_token_scope_enabled: related.jobTokenScopeEnabled },
    artifacts: [],
    runner: related.runner ? presentRunner(related.runner) : null,
    tag_list: JSON.parse(job.tag_list) as string[],
    timeout: job.timeout_seconds,
  };
}
