import type { Generated, Selectable } from 'kysely';

/*
 * Row types of the CI tables (migration 002-ci). Same conventions as `schema.ts`: ISO-8601 strings
 * for times, 0/1 for flags, JSON as text.
 */

/** Per-project CI settings; a project without a row has the defaults. */
export interface CiProjectSettingsTable {
  project_id: number;
  /** 1: only the project itself and its allowlist reach it with a job token (GitLab's default). */
  job_token_inbound_enabled: Generated<number>;
  /** JSON array of claim keys that make up an ID token's `sub`; null for the default. */
  id_token_sub_claim_components: string | null;
  /** 1: jobs without `id_tokens:` get the legacy `CI_JOB_JWT`, `_V1` and `_V2`. */
  legacy_job_jwt_enabled: Generated<number>;
  default_branch_protected: Generated<number>;
  job_timeout_seconds: Generated<number>;
  updated_at: string;
}

export interface ProtectedBranchesTable {
  id: Generated<number>;
  project_id: number;
  /** A branch name, or a pattern with `*` wildcards. */
  name: string;
  push_access_level: number;
  created_at: string;
}

export type PipelineStatus =
  'created' | 'pending' | 'running' | 'success' | 'failed' | 'canceled' | 'skipped';
export type PipelineSource = 'push' | 'web' | 'api' | 'trigger' | 'duo_workflow';

export interface CiPipelinesTable {
  id: Generated<number>;
  project_id: number;
  ref: string;
  tag: number;
  sha: string;
  before_sha: string;
  source: PipelineSource;
  status: PipelineStatus;
  /** Who triggered it: the jobs act with this user's permissions. */
  user_id: number | null;
  /** Why the configuration was refused; the pipeline then has no job. */
  yaml_errors: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export type JobStatus = PipelineStatus;

export interface CiJobsTable {
  id: Generated<number>;
  pipeline_id: number;
  project_id: number;
  name: string;
  stage: string;
  stage_idx: number;
  status: JobStatus;
  /** `script_failure`, `job_execution_timeout`, `runner_system_failure`, … */
  failure_reason: string | null;
  user_id: number | null;
  runner_id: number | null;
  /** The job's parsed definition (script, environment, id_tokens, variables) as JSON. */
  definition: string;
  tag_list: string;
  timeout_seconds: number;
  /** Keyed digest of the job token; set when a runner picks the job up, valid only while running. */
  token_digest: string | null;
  trace: Generated<string>;
  created_at: string;
  queued_at: string | null;
  started_at: string | null;
  finished_at: string | null;
}

export type RunnerType = 'instance_type' | 'project_type';
export type RunnerEnvironment = 'gitlab-hosted' | 'self-hosted';

export interface CiRunnersTable {
  id: Generated<number>;
  runner_type: RunnerType;
  /** The project of a `project_type` runner. */
  project_id: number | null;
  description: string;
  token_digest: string;
  environment: RunnerEnvironment;
  tag_list: string;
  run_untagged: number;
  paused: number;
  created_by_id: number | null;
  created_at: string;
  contacted_at: string | null;
}

/** A runner registration token: the instance's, or a project's. */
export interface CiRunnerRegistrationTokensTable {
  /** `instance` or `project:<id>`. */
  scope: string;
  project_id: number | null;
  token_digest: string;
  /** Only a project's token is sealed: its maintainers read it again. */
  token_sealed: string | null;
  created_at: string;
}

/** "Project `target` may reach `source` with its job tokens": one entry of `source`'s inbound allowlist. */
export interface CiJobTokenProjectScopeLinksTable {
  id: Generated<number>;
  source_project_id: number;
  target_project_id: number;
  added_by_id: number | null;
  created_at: string;
}

/** The same for every project of a group (and its subgroups). */
export interface CiJobTokenGroupScopeLinksTable {
  id: Generated<number>;
  source_project_id: number;
  target_group_id: number;
  added_by_id: number | null;
  created_at: string;
}

/** A job of `origin` authenticated to `accessed`: kept for `accessed`'s maintainers to see. */
export interface CiJobTokenAuthorizationsTable {
  id: Generated<number>;
  accessed_project_id: number;
  origin_project_id: number;
  last_authorized_at: string;
  count: Generated<number>;
}

/** The CI tables, merged into `Database` by `schema.ts`. */
export interface CiTables {
  ci_project_settings: CiProjectSettingsTable;
  protected_branches: ProtectedBranchesTable;
  ci_pipelines: CiPipelinesTable;
  ci_jobs: CiJobsTable;
  ci_runners: CiRunnersTable;
  ci_runner_registration_tokens: CiRunnerRegistrationTokensTable;
  ci_job_token_project_scope_links: CiJobTokenProjectScopeLinksTable;
  ci_job_token_group_scope_links: CiJobTokenGroupScopeLinksTable;
  ci_job_token_authorizations: CiJobTokenAuthorizationsTable;
}

export type CiProjectSettings = Selectable<CiProjectSettingsTable>;
export type ProtectedBranch = Selectable<ProtectedBranchesTable>;
export type Pipeline = Selectable<CiPipelinesTable>;
export type Job = Selectable<CiJobsTable>;
/** A job without its (possibly large) log and definition: what authentication and the API view read. */
export type JobSummary = Omit<Job, 'trace' | 'definition'>;
export type Runner = Selectable<CiRunnersTable>;
export type JobTokenProjectLink = Selectable<CiJobTokenProjectScopeLinksTable>;
export type JobTokenGroupLink = Selectable<CiJobTokenGroupScopeLinksTable>;
export type JobTokenAuthorization = Selectable<CiJobTokenAuthorizationsTable>;
