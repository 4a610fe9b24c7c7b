import { listAiWorkflowNotes, listAiWorkflowSteps } from '../store/ai-workflows.repository.ts';
import type { AiWorkflow, AiWorkflowNote } from '../store/ai-workflows.tables.ts';
import type { Executor } from '../store/database.ts';

/**
 * A note as the API shows it.
 *
 * @example
 * reply.status(201).send(noteView(note)); // { id, body, author_id, created_at }
 */
export function noteView(note: AiWorkflowNote) {
  return { id: note.id, body: note.body, author_id: note.author_id, created_at: note.created_at };
}

/**
 * A workflow as the API shows it: status, run, steps and notes — never a token, sealed or not.
 *
 * @example
 * reply.send(await workflowView(db, workflow));
 */
export async function workflowView(db: Executor, workflow: AiWorkflow) {
  const [steps, notes] = await Promise.all([
    listAiWorkflowSteps(db, workflow.id),
    listAiWorkflowNotes(db, workflow.id),
  ]);
  return {
    id: workflow.id,
    project_id: workflow.project_id,
    goal: workflow.goal,
    definition: workflow.definition,
    environment: workflow.environment,
    status: workflow.status,
    created_at: workflow.created_at,
    updated_at: workflow.updated_at,
    finished_at: workflow.finished_at,
    end_reason: workflow.end_reason,
    deadline_at: workflow.deadline_at,
    pipeline_id: workflow.pipeline_id,
    job_id: workflow.job_id,
    steps: steps.map((step) => ({
      index: step.step_index,
      title: step.title,
      status: step.status,
      output: step.output,
    })),
    notes: notes.map(noteView),
  };
}
