import type { AiWorkflowStatus } from '../store/ai-workflows.tables.ts';

/*
 * The fixed facts of AI workflows, as plain data: which definitions exist, how long a run may last,
 * which status changes are legal and who may ask for them. Pure, so the table is tested without a
 * server and every transport asks the same question.
 */

/** Definitions the workflow service knows how to plan. */
export const WORKFLOW_DEFINITIONS = ['software_development', 'chat'] as const;
export type WorkflowDefinition = (typeof WORKFLOW_DEFINITIONS)[number];

export const WORKFLOW_ENVIRONMENTS = ['remote', 'local'] as const;

/** A run's composite token, its workflow-service token, its job and its deadline all last this long. */
export const WORKFLOW_RUN_SECONDS = 3600;

/** The Duo service account's scopes besides `user:<id>`. */
export const WORKFLOW_TOKEN_SCOPES = ['ai_workflows'] as const;

/** The single command of a workflow's CI job. */
export const EXECUTOR_SCRIPT = 'tessera executor run';

export const MAX_GOAL_LENGTH = 4096;

/** Not ended yet: the run's credentials are alive. */
export const ACTIVE_STATUSES: readonly AiWorkflowStatus[] = ['created', 'running'];
/** Ended in a way the user may resume from. */
export const RESUMABLE_STATUSES: readonly AiWorkflowStatus[] = ['failed', 'canceled', 'timed_out'];

export type WorkflowEnd = Extract<AiWorkflowStatus, 'finished' | 'failed' | 'canceled' | 'timed_out'>;

export const STATUS_EVENTS = ['start', 'finish', 'fail', 'cancel', 'resume'] as const;
export type StatusEvent = (typeof STATUS_EVENTS)[number];

/**
 * Who asks: the run's executor (the composite token of a remote workflow, or the owner's own token
 * reporting on a local one), or the owner managing their workflow.
 */
export type WorkflowRole = 'executor' | 'owner';

/** Which role may send each event: the executor reports, the owner manages. */
export const EVENT_ROLE: Record<StatusEvent, WorkflowRole> = {
  start: 'executor',
  finish: 'executor',
  fail: 'executor',
  cancel: 'owner',
  resume: 'owner',
};

/** Statuses each event may be sent from; anything else is a 409. `start` is idempotent for a resumed run. */
export const EVENT_FROM: Record<StatusEvent, readonly AiWorkflowStatus[]> = {
  start: ['created', 'running'],
  finish: ['running'],
  fail: ['created', 'running'],
  cancel: ACTIVE_STATUSES,
  resume: RESUMABLE_STATUSES,
};

/**
 * Whether `event` may move a workflow in `status`.
 *
 * @example
 * canApply('finish', 'created'); // false: a workflow finishes only once it runs
 */
export function canApply(event: StatusEvent, status: AiWorkflowStatus): boolean {
  return EVENT_FROM[event].includes(status);
}

/** SecretBox context of a workflow's sealed token: a ciphertext moved to another row or column does not open. */
export function sealContext(kind: 'oauth_token' | 'service_token', workflowId: number): string {
  return `ai_workflow.${kind}:${workflowId}`;
}
