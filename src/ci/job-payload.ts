import type { StoredJobDefinition } from './job-definition.ts';
import type { StartedJob } from './job-credentials.ts';
import type { Variable } from './job-variables.ts';

/**
 * The job as `POST /api/v4/jobs/request` hands it to a runner, in the platform's shape (the fields a
 * shell executor reads). `git_info.repo_url` carries the job token as HTTP basic credentials, as
 * the platform's does: the runner clones with it.
 */
export function jobPayload(
  started: StartedJob,
  definition: StoredJobDefinition,
  variables: Variable[],
  externalUrl: string,
) {
  const { job, pipeline, project, token } = started;
  const repoUrl =
    variables.find((v) => v.key === 'CI_REPOSITORY_URL')?.value ?? `${externalUrl}/${project.full_path}.git`;
  const refType = pipeline.tag ? 'tag' : 'branch';
  return {
    id: job.id,
    token,
    allow_git_fetch: true,
    job_info: {
      id: job.id,
      name: job.name,
      stage: job.stage,
      project_id: project.id,
      project_name: project.name,
      project_jobs_running_on_instance_runners_count: 0,
    },
    git_info: {
      repo_url: repoUrl,
      ref: pipeline.ref,
      sha: pipeline.sha,
      before_sha: pipeline.before_sha,
      ref_type: refType,
      refspecs: [
        `+refs/${refType === 'tag' ? 'tags' : 'heads'}/${pipeline.ref}:refs/remotes/origin/${pipeline.ref}`,
      ],
      depth: 20,
      repo_object_format: 'sha1',
    },
    runner_info: { timeout: job.timeout_seconds, runner_session_url: null },
    variables,
    steps: [
      {
        name: 'script',
        script: definition.script,
        timeout: job.timeout_seconds,
        when: 'on_success',
        allow_failure: false,
      },
    ],
    image: null,
    services: [],
    artifacts: [],
    cache: [],
    credentials: [
      {
        type: 'registry',
        url: variables.find((v) => v.key === 'CI_REGISTRY')?.value,
        username: 'gitlab-ci-token',
        password: token,
      },
    ],
    dependencies: [],
    features: {
      trace_sections: false,
      failure_reasons: ['script_failure', 'job_execution_timeout', 'runner_system_failure'],
    },
  };
}

export type JobPayload = ReturnType<typeof jobPayload>;
