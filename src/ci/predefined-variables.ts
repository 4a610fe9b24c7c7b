import { JOB_TOKEN_USERNAME } from '../tokens/job/job-token-secret.ts';
import { maskedVariable, publicVariable, type Variable } from './job-variables.ts';

/** What the predefined variables are made of, as plain data. */
export interface PredefinedVariableFacts {
  externalUrl: string;
  /** `host[:port]` of the container registry; the instance's own host when none is configured. */
  registryHost: string;
  jobToken: string;
  project: {
    id: number;
    name: string;
    path: string;
    full_path: string;
    visibility: string;
    default_branch: string;
  };
  pipeline: {
    id: number;
    source: string;
    ref: string;
    tag: boolean;
    sha: string;
    before_sha: string;
    refProtected: boolean;
  };
  job: { id: number; name: string; stage: string; timeout_seconds: number };
  runner: { id: number; description: string };
  user: { id: number; username: string; email: string; name: string };
  environment?: { name: string; tier: string; action: string };
}

/**
 * The variables every job gets, named as on the platform. The job token appears in
 * `CI_JOB_TOKEN`, `CI_REGISTRY_PASSWORD` and inside `CI_REPOSITORY_URL`; it is masked, so the runner
 * hides it wherever it shows up in the log.
 *
 * @example
 * predefinedVariables(facts).find((v) => v.key === 'CI_PROJECT_PATH')?.value; // 'mygroup/app'
 */
export function predefinedVariables(facts: PredefinedVariableFacts): Variable[] {
  const url = new URL(facts.externalUrl);
  const { project, pipeline, job } = facts;
  const projectUrl = `${facts.externalUrl}/${project.full_path}`;
  const repositoryUrl = new URL(`${projectUrl}.git`);
  repositoryUrl.username = JOB_TOKEN_USERNAME;
  repositoryUrl.password = facts.jobToken;
  const namespace = project.full_path.slice(0, project.full_path.lastIndexOf('/'));
  const variables: Variable[] = [
    publicVariable('CI', 'true'),
    publicVariable('GITLAB_CI', 'true'),
    publicVariable('CI_SERVER', 'yes'),
    publicVariable('CI_SERVER_URL', facts.externalUrl),
    publicVariable('CI_SERVER_HOST', url.hostname),
    publicVariable('CI_SERVER_PORT', url.port || (url.protocol === 'https:' ? '443' : '80')),
    publicVariable('CI_SERVER_PROTOCOL', url.protocol.replace(':', '')),
    publicVariable('CI_SERVER_NAME', 'Tessera'),
    publicVariable('CI_API_V4_URL', `${facts.externalUrl}/api/v4`),
    publicVariable('CI_JOB_ID', job.id),
    publicVariable('CI_JOB_NAME', job.name),
    publicVariable('CI_JOB_STAGE', job.stage),
    publicVariable('CI_JOB_URL', `${projectUrl}/-/jobs/${job.id}`),
    publicVariable('CI_JOB_TIMEOUT', job.timeout_seconds),
    maskedVariable('CI_JOB_TOKEN', facts.jobToken),
    publicVariable('CI_PIPELINE_ID', pipeline.id),
    publicVariable('CI_PIPELINE_SOURCE', pipeline.source),
    publicVariable('CI_PIPELINE_URL', `${projectUrl}/-/pipelines/${pipeline.id}`),
    publicVariable('CI_PROJECT_ID', project.id),
    publicVariable('CI_PROJECT_NAME', project.path),
    publicVariable('CI_PROJECT_TITLE', project.name),
    publicVariable('CI_PROJECT_PATH', project.full_path),
    publicVariable('CI_PROJECT_PATH_SLUG', slug(project.full_path)),
    publicVariable('CI_PROJECT_NAMESPACE', namespace),
    publicVariable('CI_PROJECT_ROOT_NAMESPACE', project.full_path.split('/')[0]!),
    publicVariable('CI_PROJECT_URL', projectUrl),
    publicVariable('CI_PROJECT_VISIBILITY', project.visibility),
    publicVariable('CI_DEFAULT_BRANCH', project.default_branch),
    publicVariable('CI_CONFIG_PATH', '.gitlab-ci.yml'),
    publicVariable('CI_COMMIT_SHA', pipeline.sha),
    publicVariable('CI_COMMIT_SHORT_SHA', pipeline.sha.slice(0, 8)),
    publicVariable('CI_COMMIT_BEFORE_SHA', pipeline.before_sha),
    publicVariable('CI_COMMIT_REF_NAME', pipeline.ref),
    publicVariable('CI_COMMIT_REF_SLUG', slug(pipeline.ref)),
    publicVariable(pipeline.tag ? 'CI_COMMIT_TAG' : 'CI_COMMIT_BRANCH', pipeline.ref),
    publicVariable('CI_COMMIT_REF_PROTECTED', String(pipeline.refProtected)),
    { key: 'CI_REPOSITORY_URL', value: repositoryUrl.toString(), public: false, masked: false },
    publicVariable('CI_REGISTRY', facts.registryHost),
    publicVariable('CI_REGISTRY_IMAGE', `${facts.registryHost}/${project.full_path.toLowerCase()}`),
    publicVariable('CI_REGISTRY_USER', JOB_TOKEN_USERNAME),
    maskedVariable('CI_REGISTRY_PASSWORD', facts.jobToken),
    publicVariable('CI_RUNNER_ID', facts.runner.id),
    publicVariable('CI_RUNNER_DESCRIPTION', facts.runner.description),
    publicVariable('GITLAB_USER_ID', facts.user.id),
    publicVariable('GITLAB_USER_LOGIN', facts.user.username),
    publicVariable('GITLAB_USER_EMAIL', facts.user.email),
    publicVariable('GITLAB_USER_NAME', facts.user.name),
  ];
  if (facts.environment) {
    variables.push(
      publicVariable('CI_ENVIRONMENT_NAME', facts.environment.name),
      publicVariable('CI_ENVIRONMENT_SLUG', slug(facts.environment.name)),
      publicVariable('CI_ENVIRONMENT_TIER', facts.environment.tier),
      publicVariable('CI_ENVIRONMENT_ACTION', facts.environment.action),
    );
  }
  return variables;
}

/** The platform's `*_SLUG`: lower case, non-alphanumerics to `-`, at most 63 characters, no edge dashes. */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
}
