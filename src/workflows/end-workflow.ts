import { recordAudit, type Actor } from '../audit/audit-log.ts';
import { ciDeps } from '../ci/ci-deps.ts';
import { cancelJob } from '../ci/finish-job.ts';
import type { InstanceContext } from '../runtime/instance-context.ts';
import { findAiWorkflowById, transitionAiWorkflow } from '../store/ai-workflows.repository.ts';
import type { AiWorkflow } from '../store/ai-workflows.tables.ts';
import { findJobById } from '../store/ci-jobs.repository.ts';
import { inTransaction } from '../store/in-transaction.ts';
import { revokeWorkflowTokens } from '../tokens/oauth/composite-token.ts';
import { isoNow } from '../util/clock.ts';
import { revokeServiceTokens } from './service-tokens.ts';
import { ACTIVE_STATUSES, type WorkflowEnd } from './workflow-rules.ts';

/** How long a job whose executor reported `finish`/`fail` may take to exit on its own before it is canceled. */
export const JOB_EXIT_GRACE_MS = 30_000;

export interface EndRequest {
  status: WorkflowEnd;
  /** A few words for the record and the audit log; never a secret. */
  reason: string;
  /** Who ended it (the status change's audit event). */
  actor: Actor;
  /**
   * Who the revocations and the job's end are attributed to; `actor` by default. The executor's own
   * finish passes the system: its tokens never appear as the author of a credential event.
   */
  revokedBy?: Actor;
  /**
   * `now`: cancel the job at once if it has not ended (cancel, timeout, a failed start). `grace`: the
   * executor said it is done, so let its job exit on its own, and cancel it only if it is still
   * running after {@link JOB_EXIT_GRACE_MS}.
   */
  job: 'now' | 'grace';
}

/**
 * Ends a workflow that is still created or running, whatever ended it — the executor's finish or
 * fail, the owner's cancel, the timeout sweep, its job ending, a start that could not complete — and
 * ALWAYS takes every credential of its run away, in this order:
 * 1. the status changes (compare-and-set: one ender wins) and the sealed tokens are wiped, audited
 *    (`ai_workflow.<status>`); the workflow-service revocation is marked pending in the same step;
 * 2. the composite OAuth grant(s) tagged with the workflow are revoked (`oauth_grant.revoked`);
 * 3. the workflow service is told `RevokeWorkflowTokens` (retried by housekeeping when it is down);
 * 4. the job is canceled if it has not ended, which kills its job token.
 * Resolves with the ended workflow, or undefined when it had already ended.
 *
 * @example
 * await endWorkflow(context, workflow, { status: 'canceled', reason: 'canceled by the user', actor, job: 'now' });
 */
export async function endWorkflow(
  context: InstanceContext,
  workflow: Pick<AiWorkflow, 'id'>,
  request: EndRequest,
): Promise<AiWorkflow | undefined> {
  const now = isoNow(context.clock);
  const ended = await inTransaction(context.db, async (trx) => {
    const before = await findAiWorkflowById(trx, workflow.id);
    if (!before) return undefined;
    const changed = await transitionAiWorkflow(trx, workflow.id, ACTIVE_STATUSES, {
      status: request.status,
      end_reason: request.reason,
      oauth_token_sealed: null,
      service_token_sealed: null,
      service_revocation_pending: before.service_token_expires_at !== null ? 1 : 0,
      updated_at: now,
      finished_at: now,
    });
    if (!changed) return undefined;
    await recordAudit(trx, context.clock, request.actor, {
      action: `ai_workflow.${request.status}`,
      entity: { type: 'project', id: changed.project_id },
      target: { type: 'AiWorkflow', id: changed.id },
      details: {
        workflow_id: changed.id,
        from: before.status,
        reason: request.reason,
        environment: changed.environment,
        job_id: changed.job_id,
      },
    });
    return changed;
  });
  if (!ended) return undefined;

  const revoker = request.revokedBy ?? request.actor;
  await revokeWorkflowTokens(context, String(ended.id), revoker);
  if (ended.service_revocation_pending === 1) await revokeServiceTokens(context, ended, revoker);
  if (ended.job_id !== null) await stopJob(context, ended.job_id, request.job, revoker);
  return (await findAiWorkflowById(context.db, ended.id)) ?? ended;
}

async function stopJob(
  context: InstanceContext,
  jobId: number,
  when: EndRequest['job'],
  actor: Actor,
): Promise<void> {
  const deps = ciDeps(context);
  const job = await findJobById(context.db, jobId);
  if (!job || !['created', 'pending', 'running'].includes(job.status)) return;
  if (when === 'now' || job.status !== 'running') {
    await cancelJob(deps, job, actor);
    return;
  }
  const timer = setTimeout(() => {
    void findJobById(context.db, jobId)
      .then((current) => (current?.status === 'running' ? cancelJob(deps, current, actor) : undefined))
      .catch((error: unknown) =>
        context.logger.warn({ err: error, jobId }, 'could not cancel a finished workflow’s job'),
      );
  }, JOB_EXIT_GRACE_MS);
  timer.unref();
}
