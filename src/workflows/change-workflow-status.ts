import { recordAudit, SYSTEM_ACTOR } from '../audit/audit-log.ts';
import { forbidden, TesseraError } from '../errors/tessera-error.ts';
import { actorFor, type ActingUser } from '../identity/acting-user.ts';
import type { InstanceContext } from '../runtime/instance-context.ts';
import { transitionAiWorkflow } from '../store/ai-workflows.repository.ts';
import type { AiWorkflow } from '../store/ai-workflows.tables.ts';
import { inTransaction } from '../store/in-transaction.ts';
import { isoNow } from '../util/clock.ts';
import { endWorkflow } from './end-workflow.ts';
import { resumeWorkflow } from './resume-workflow.ts';
import type { WorkflowAccess } from './workflow-access.ts';
import { canApply, EVENT_FROM, EVENT_ROLE, STATUS_EVENTS, type StatusEvent } from './workflow-rules.ts';

const illegal = (event: string, workflow: AiWorkflow) =>
  new TesseraError('conflict', `409 Conflict - cannot ${event} a workflow that is ${workflow.status}`);

/**
 * `PATCH /workflows/:id {status_event}`: the executor reports `start`, `finish` or `fail`; the owner
 * may `cancel` or `resume`. Anything else is a 400, the wrong caller a 403, an illegal change a 409.
 * Every change that ends the workflow revokes its credentials (see {@link endWorkflow}).
 *
 * @example
 * await changeWorkflowStatus(context, access, 'cancel', { user, ip });
 */
export async function changeWorkflowStatus(
  context: InstanceContext,
  access: WorkflowAccess,
  statusEvent: unknown,
  acting: ActingUser,
): Promise<AiWorkflow> {
  if (typeof statusEvent !== 'string' || !(STATUS_EVENTS as readonly string[]).includes(statusEvent)) {
    throw new TesseraError('bad_request', '400 Bad request - status_event does not have a valid value');
  }
  const event = statusEvent as StatusEvent;
  if (EVENT_ROLE[event] !== access.role) {
    throw forbidden(
      access.role === 'executor'
        ? `403 Forbidden - only the person who started the workflow may ${event} it`
        : `403 Forbidden - only the workflow's executor may ${event} it`,
    );
  }
  const { workflow } = access;
  if (!canApply(event, workflow.status)) throw illegal(event, workflow);
  const actor = actorFor(acting);
  // What ending revokes is the instance's doing, not the executor's: its tokens author no credential event.
  const revokedBy = access.role === 'executor' ? SYSTEM_ACTOR : actor;
  const ended = (status: 'finished' | 'failed' | 'canceled', reason: string, job: 'now' | 'grace') =>
    endWorkflow(context, workflow, { status, reason, actor, revokedBy, job }).then((result) => {
      if (!result) throw illegal(event, workflow);
      return result;
    });

  switch (event) {
    case 'start':
      return start(context, workflow, acting);
    case 'finish':
      return ended('finished', 'finished by the executor', 'grace');
    case 'fail':
      return ended('failed', 'failed, as the executor reported', 'grace');
    case 'cancel':
      return ended('canceled', 'canceled by the user', 'now');
    case 'resume':
      return resumeWorkflow(context, acting, workflow);
  }
}

async function start(
  context: InstanceContext,
  workflow: AiWorkflow,
  acting: ActingUser,
): Promise<AiWorkflow> {
  const started = await inTransaction(context.db, async (trx) => {
    const changed = await transitionAiWorkflow(trx, workflow.id, EVENT_FROM.start, {
      status: 'running',
      updated_at: isoNow(context.clock),
    });
    if (changed && workflow.status === 'created') {
      await recordAudit(trx, context.clock, actorFor(acting), {
        action: 'ai_workflow.started',
        entity: { type: 'project', id: changed.project_id },
        target: { type: 'AiWorkflow', id: changed.id },
        details: { workflow_id: changed.id },
      });
    }
    return changed;
  });
  if (!started) throw illegal('start', workflow);
  return started;
}
