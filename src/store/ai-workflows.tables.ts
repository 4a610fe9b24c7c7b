import type { Generated, Selectable } from 'kysely';

/*
 * Row types of the AI workflow tables (migration 007). Same conventions as `schema.ts`: ISO-8601
 * strings for times, 0/1 for flags.
 */

export type AiWorkflowStatus = 'created' | 'running' | 'finished' | 'failed' | 'canceled' | 'timed_out';

/** `remote`: run by a CI job of the Duo service account; `local`: by the user's IDE, with no job. */
export type AiWorkflowEnvironment = 'remote' | 'local';

export interface AiWorkflowsTable {
  id: Generated<number>;
  project_id: number;
  /** The person who started it: the composite token acts for them. */
  user_id: number;
  /** The service account its job runs as; null for a local workflow. */
  service_account_id: number | null;
  goal: string;
  definition: string;
  environment: AiWorkflowEnvironment;
  status: AiWorkflowStatus;
  /** The pipeline and job of the current run (a resumed workflow has a new pair). */
  pipeline_id: number | null;
  job_id: number | null;
  /** The current run's composite OAuth grant and access token (the token id authenticates the executor). */
  oauth_grant_id: number | null;
  oauth_token_id: number | null;
  /**
   * The composite token and the workflow-service token, SecretBox-sealed: the job receives them again
   * when a runner picks it up. Wiped when the workflow ends.
   */
  oauth_token_sealed: string | null;
  service_token_sealed: string | null;
  service_token_expires_at: string | null;
  /** 1 while the workflow service has not yet confirmed `RevokeWorkflowTokens` for an ended run. */
  service_revocation_pending: number;
  /** Past this, a workflow still created or running is timed out. */
  deadline_at: string | null;
  /** Why it ended, in a few words (`job failed`, `canceled by the user`); never a secret. */
  end_reason: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export type AiWorkflowStepStatus = 'running' | 'done' | 'failed';

export interface AiWorkflowStepsTable {
  id: Generated<number>;
  workflow_id: number;
  step_index: number;
  title: string;
  status: AiWorkflowStepStatus;
  output: string | null;
  created_at: string;
  updated_at: string;
}

/** Comments on a workflow (the executor's `add_comment` action). */
export interface AiWorkflowNotesTable {
  id: Generated<number>;
  workflow_id: number;
  body: string;
  author_id: number | null;
  created_at: string;
}

/** The instance's Duo workflow identity: its service account and trusted OAuth application (one row). */
export interface AiWorkflowIdentitiesTable {
  name: string;
  service_account_id: number;
  oauth_application_id: number;
  created_at: string;
}

/** Merged into `Database` by `schema.ts`. */
export interface AiWorkflowTables {
  ai_workflows: AiWorkflowsTable;
  ai_workflow_steps: AiWorkflowStepsTable;
  ai_workflow_notes: AiWorkflowNotesTable;
  ai_workflow_identities: AiWorkflowIdentitiesTable;
}

export type AiWorkflow = Selectable<AiWorkflowsTable>;
export type AiWorkflowStep = Selectable<AiWorkflowStepsTable>;
export type AiWorkflowNote = Selectable<AiWorkflowNotesTable>;
export type AiWorkflowIdentity = Selectable<AiWorkflowIdentitiesTable>;
