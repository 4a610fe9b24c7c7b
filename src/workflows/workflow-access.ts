import { forbidden, insufficientScope, notFound, unauthorized } from '../errors/tessera-error.ts';
import { projectAccessFacts } from '../identity/access-facts.service.ts';
import { canSee } from '../identity/permissions.ts';
import { hasAnyScope, type Principal } from '../identity/principal.ts';
import { findAiWorkflowById } from '../store/ai-workflows.repository.ts';
import type { AiWorkflow } from '../store/ai-workflows.tables.ts';
import type { Executor } from '../store/database.ts';
import { findProjectById } from '../store/projects.repository.ts';
import type { WorkflowRole } from './workflow-rules.ts';

/** What a caller wants to do with a workflow: look at it, report on it as its executor, or manage it. */
export type WorkflowNeed = 'read' | WorkflowRole;

const READ_SCOPES = ['api', 'read_api', 'ai_workflows'];
const WRITE_SCOPES = ['api', 'ai_workflows'];

/** A workflow and the role its caller holds towards it. */
export interface WorkflowAccess {
  workflow: AiWorkflow;
  role: WorkflowRole;
}

/**
 * Who may touch a workflow, and how:
 * - the current run's composite token (only that token: an earlier run's, or another workflow's, is a
 *   404) is the executor of a remote workflow — it reads and reports, never manages;
 * - the person who started it (session, PAT, or their own OAuth token) reads and manages it, and is
 *   also the executor of a local workflow; they must still see the project.
 * Anyone else gets 404, so workflow ids reveal nothing.
 *
 * @example
 * const { workflow } = await authorizeWorkflow(db, principal, 12, 'executor');
 */
export async function authorizeWorkflow(
  db: Executor,
  principal: Principal | null,
  id: number,
  need: WorkflowNeed,
): Promise<WorkflowAccess> {
  if (!principal) throw unauthorized();
  const scopes = need === 'read' ? READ_SCOPES : WRITE_SCOPES;
  if (!hasAnyScope(principal, scopes)) throw insufficientScope(scopes.join(' '));
  const workflow = await findAiWorkflowById(db, id);
  if (!workflow) throw notFound('Workflow');

  if (principal.scopedUser) {
    const isRunToken =
      principal.credential.kind === 'oauth_access_token' &&
      principal.credential.id === workflow.oauth_token_id &&
      workflow.environment === 'remote';
    if (!isRunToken) throw notFound('Workflow');
    if (need === 'owner')
      throw forbidden('403 Forbidden - only the person who started the workflow may do this');
    return { workflow, role: 'executor' };
  }

  if (principal.user.id !== workflow.user_id || principal.credential.kind === 'ci_job_token') {
    throw notFound('Workflow');
  }
  const project = await findProjectById(db, workflow.project_id);
  if (!project || !canSee(await projectAccessFacts(db, principal.user, project))) throw notFound('Workflow');
  if (need === 'executor' && workflow.environment === 'remote') {
    throw forbidden("403 Forbidden - a remote workflow's progress is reported by its executor only");
  }
  return { workflow, role: need === 'executor' ? 'executor' : 'owner' };
}
