import { recordAudit, type Actor } from '../audit/audit-log.ts';
import type { CiDeps } from '../ci/ci-deps.ts';
import type { StoredJobDefinition } from '../ci/job-definition.ts';
import type { AiWorkflow } from '../store/ai-workflows.tables.ts';
import type { Job, Pipeline } from '../store/ci-schema.ts';
import { insertJob } from '../store/ci-jobs.repository.ts';
import { insertPipeline } from '../store/ci-pipelines.repository.ts';
import type { Trx } from '../store/database.ts';
import type { User } from '../store/schema.ts';
import { EXECUTOR_SCRIPT, WORKFLOW_RUN_SECONDS } from './workflow-rules.ts';

/** The name of a workflow's one job. */
export const WORKFLOW_JOB_NAME = 'duo_workflow';

/**
 * A workflow run's pipeline (source `duo_workflow`) with its one job, owned by the service account
 * and running `tessera executor run`, pending at once. Audited (`ci_pipeline.created`) in the caller's
 * transaction: the job becomes visible to runners only when that transaction commits, after every
 * credential of the run exists. The job's variables (the tokens among them) come from the workflow's
 * job variable provider when a runner takes it, not from its stored definition. The caller wakes
 * the runners (`deps.queue.notify()`) after the commit.
 *
 * @example
 * const { pipeline, job } = await insertWorkflowPipeline(trx, deps, actor, { workflow, serviceAccount, ref, sha });
 */
export async function insertWorkflowPipeline(
  trx: Trx,
  deps: Pick<CiDeps, 'clock'>,
  actor: Actor,
  run: { workflow: AiWorkflow; serviceAccount: User; ref: string; sha: string },
): Promise<{ pipeline: Pipeline; job: Job }> {
  const now = deps.clock.now().toISOString();
  const { workflow } = run;
  const pipeline = await insertPipeline(trx, {
    project_id: workflow.project_id,
    ref: run.ref,
    tag: 0,
    sha: run.sha,
    before_sha: run.sha,
    source: 'duo_workflow',
    status: 'pending',
    user_id: run.serviceAccount.id,
    yaml_errors: null,
    created_at: now,
    started_at: null,
    finished_at: null,
  });
  const definition: StoredJobDefinition = { script: [EXECUTOR_SCRIPT], id_tokens: {}, variables: {} };
  const job = await insertJob(trx, {
    pipeline_id: pipeline.id,
    project_id: workflow.project_id,
    name: WORKFLOW_JOB_NAME,
    stage: 'workflow',
    stage_idx: 0,
    status: 'pending',
    failure_reason: null,
    user_id: run.serviceAccount.id,
    runner_id: null,
    definition: JSON.stringify(definition),
    tag_list: '[]',
    timeout_seconds: WORKFLOW_RUN_SECONDS,
    token_digest: null,
    created_at: now,
    queued_at: now,
    started_at: null,
    finished_at: null,
  });
  await recordAudit(trx, deps.clock, actor, {
    action: 'ci_pipeline.created',
    entity: { type: 'ci_pipeline', id: pipeline.id },
    target: { type: 'project', id: workflow.project_id },
    details: {
      source: 'duo_workflow',
      workflow_id: workflow.id,
      job_id: job.id,
      user_id: run.serviceAccount.id,
      ref: run.ref,
      sha: run.sha,
    },
  });
  return { pipeline, job };
}
