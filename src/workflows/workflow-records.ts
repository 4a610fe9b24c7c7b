import { TesseraError } from '../errors/tessera-error.ts';
import type { InstanceContext } from '../runtime/instance-context.ts';
import { insertAiWorkflowNote, upsertAiWorkflowStep } from '../store/ai-workflows.repository.ts';
import type {
  AiWorkflow,
  AiWorkflowNote,
  AiWorkflowStep,
  AiWorkflowStepStatus,
} from '../store/ai-workflows.tables.ts';
import type { User } from '../store/schema.ts';
import { isoNow } from '../util/clock.ts';
import { ACTIVE_STATUSES } from './workflow-rules.ts';

/** The statuses a step may report. */
export const STEP_STATUSES: readonly AiWorkflowStepStatus[] = ['running', 'done', 'failed'];
const MAX_STEPS = 1000;
const MAX_TITLE = 255;
/** A step's output and a note's body are kept up to this many characters. */
const MAX_TEXT = 64 * 1024;

const bad = (message: string) => new TesseraError('bad_request', `400 Bad request - ${message}`);

function assertActive(workflow: AiWorkflow): void {
  if (!ACTIVE_STATUSES.includes(workflow.status)) {
    throw new TesseraError('conflict', `409 Conflict - the workflow is ${workflow.status}`);
  }
}

/**
 * `POST /workflows/:id/steps`: the executor records a step of the plan (created, or updated by its
 * index) while the workflow runs.
 *
 * @example
 * await recordStep(context, workflow, { index: 1, title: 'Read README.md', status: 'done', output: '42 lines' });
 */
export async function recordStep(
  context: Pick<InstanceContext, 'db' | 'clock'>,
  workflow: AiWorkflow,
  input: { index: unknown; title: unknown; status: unknown; output?: unknown },
): Promise<AiWorkflowStep> {
  const index =
    typeof input.index === 'string' && /^\d+$/.test(input.index) ? Number(input.index) : input.index;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= MAX_STEPS) {
    throw bad('index does not have a valid value');
  }
  if (typeof input.title !== 'string' || input.title.trim() === '' || input.title.length > MAX_TITLE) {
    throw bad('title does not have a valid value');
  }
  if (typeof input.status !== 'string' || !(STEP_STATUSES as readonly string[]).includes(input.status)) {
    throw bad('status does not have a valid value');
  }
  if (input.output !== undefined && input.output !== null && typeof input.output !== 'string') {
    throw bad('output does not have a valid value');
  }
  assertActive(workflow);
  return upsertAiWorkflowStep(context.db, {
    workflowId: workflow.id,
    index,
    title: input.title.trim(),
    status: input.status as AiWorkflowStepStatus,
    output: typeof input.output === 'string' ? input.output.slice(0, MAX_TEXT) : null,
    at: isoNow(context.clock),
  });
}

/**
 * `POST /workflows/:id/notes`: a comment on the workflow (the executor's `add_comment`), authored by
 * the caller — the service account for a remote run.
 *
 * @example
 * const note = await addNote(context, workflow, principal.user, 'Committed DUO_WORKFLOW_NOTES.md');
 */
export async function addNote(
  context: Pick<InstanceContext, 'db' | 'clock'>,
  workflow: AiWorkflow,
  author: User,
  body: unknown,
): Promise<AiWorkflowNote> {
  if (typeof body !== 'string' || body.trim() === '') throw bad('body is missing');
  if (body.length > MAX_TEXT) throw bad(`body is longer than ${MAX_TEXT} characters`);
  assertActive(workflow);
  return insertAiWorkflowNote(context.db, {
    workflowId: workflow.id,
    body,
    authorId: author.id,
    at: isoNow(context.clock),
  });
}
