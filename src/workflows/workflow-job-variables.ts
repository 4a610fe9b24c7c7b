import {
  maskedVariable,
  publicVariable,
  type JobVariableProvider,
  type Variable,
} from '../ci/job-variables.ts';
import { cloudConnectorState } from '../cloud/instance/instance-identity.ts';
import type { InstanceContext } from '../runtime/instance-context.ts';
import { findAiWorkflowByJobId } from '../store/ai-workflows.repository.ts';
import type { AiWorkflow } from '../store/ai-workflows.tables.ts';
import type { Project } from '../store/schema.ts';
import { globalUserIdOf } from './instance-credentials.ts';
import { ACTIVE_STATUSES, sealContext } from './workflow-rules.ts';

/**
 * The variables a workflow's job runs with, the tokens masked: what `tessera executor run` reads.
 * The composite token is also `GITLAB_TOKEN` and `DUO_WORKFLOW_GIT_HTTP_PASSWORD`, as on the platform.
 *
 * @example
 * const variables = await workflowJobVariables(context, workflow, project);
 */
export async function workflowJobVariables(
  context: Pick<InstanceContext, 'db' | 'clock' | 'secrets' | 'settings'>,
  workflow: AiWorkflow,
  project: Project,
): Promise<Variable[]> {
  if (!workflow.oauth_token_sealed || !workflow.service_token_sealed) return [];
  const { box } = context.secrets;
  const oauthToken = box.open(workflow.oauth_token_sealed, sealContext('oauth_token', workflow.id));
  const serviceToken = box.open(workflow.service_token_sealed, sealContext('service_token', workflow.id));
  const state = await cloudConnectorState(context.db, context.clock);
  const { externalUrl, realm, cloudConnector } = context.settings;
  return [
    maskedVariable('GITLAB_OAUTH_TOKEN', oauthToken),
    maskedVariable('GITLAB_TOKEN', oauthToken),
    maskedVariable('DUO_WORKFLOW_GIT_HTTP_PASSWORD', oauthToken),
    maskedVariable('DUO_WORKFLOW_SERVICE_TOKEN', serviceToken),
    publicVariable('DUO_WORKFLOW_SERVICE_SERVER', cloudConnector.workflowServiceAddress),
    publicVariable('DUO_WORKFLOW_WORKFLOW_ID', workflow.id),
    publicVariable('DUO_WORKFLOW_GOAL', workflow.goal),
    publicVariable('DUO_WORKFLOW_DEFINITION', workflow.definition),
    publicVariable('DUO_WORKFLOW_GIT_HTTP_USER', 'oauth'),
    publicVariable('DUO_WORKFLOW_GIT_HTTP_BASE_URL', externalUrl),
    publicVariable('GITLAB_BASE_URL', externalUrl),
    publicVariable('GITLAB_PROJECT_PATH', project.full_path),
    publicVariable('DUO_WORKFLOW_PROJECT_ID', project.id),
    publicVariable('DUO_WORKFLOW_INSTANCE_ID', state.instance_uuid),
    publicVariable(
      'DUO_WORKFLOW_GLOBAL_USER_ID',
      globalUserIdOf(context, state.instance_uuid, workflow.user_id),
    ),
    publicVariable('DUO_WORKFLOW_SERVICE_REALM', realm),
  ];
}

/**
 * The CI engine's hook for workflow jobs (pipeline source `duo_workflow`), registered while the
 * instance serves. It answers only for its own store's jobs, so it never unseals with another
 * instance's key, and only while the workflow is alive: a job picked up after its workflow ended
 * gets no token.
 *
 * @example
 * const unregister = registerJobVariableProvider(workflowJobVariableProvider(context));
 */
export function workflowJobVariableProvider(
  context: Pick<InstanceContext, 'db' | 'clock' | 'secrets' | 'settings'>,
): JobVariableProvider {
  return async ({ db, pipeline, job, project }) => {
    if (db !== context.db || pipeline.source !== 'duo_workflow') return [];
    const workflow = await findAiWorkflowByJobId(db, job.id);
    if (!workflow || !ACTIVE_STATUSES.includes(workflow.status)) return [];
    return workflowJobVariables(context, workflow, project);
  };
}
