import type { FastifyInstance, FastifyRequest } from 'fastify';
import { onJobFinished } from '../../ci/job-finish-listeners.ts';
import { registerJobVariableProvider } from '../../ci/job-variables.ts';
import { forbidden, TesseraError } from '../../errors/tessera-error.ts';
import type { ActingUser } from '../../identity/acting-user.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { changeWorkflowStatus } from '../../workflows/change-workflow-status.ts';
import { issueDirectAccess } from '../../workflows/direct-access.ts';
import { startWorkflow } from '../../workflows/start-workflow.ts';
import { authorizeWorkflow } from '../../workflows/workflow-access.ts';
import { workflowJobListener } from '../../workflows/workflow-job-listener.ts';
import { workflowJobVariableProvider } from '../../workflows/workflow-job-variables.ts';
import { addNote, recordStep, STEP_STATUSES } from '../../workflows/workflow-records.ts';
import {
  EVENT_ROLE,
  STATUS_EVENTS,
  WORKFLOW_DEFINITIONS,
  WORKFLOW_ENVIRONMENTS,
  type StatusEvent,
} from '../../workflows/workflow-rules.ts';
import { noteView, workflowView } from '../../workflows/workflow-view.ts';
import { apiParams, requiredInteger } from '../api-params.ts';
import { actingUserOf, requireScope } from '../authenticate.ts';
import { CREATES_CREDENTIAL } from './composite-identity-boundary.ts';
import { parameters } from '../route-parameters.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

/** A person starts workflows and gets workflow-service tokens with one of these (a session needs none). */
const PERSON_SCOPES = ['api', 'ai_workflows'] as const;
const BASE = '/api/v4/ai/duo_workflows';

type IdParams = { Params: { id: string } };

/**
 * AI workflows on the instance: start (remote or local), show, status changes (the executor's
 * start/finish/fail, the owner's cancel/resume), steps and notes, and `direct_access` for IDEs. While
 * the server runs, workflow jobs receive their tokens as masked variables and a workflow ends with
 * its job.
 */
export async function aiWorkflowsRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const { context } = options;
  const { db } = context;
  const unregisterVariables = registerJobVariableProvider(workflowJobVariableProvider(context));
  const unregisterListener = onJobFinished(workflowJobListener(context));
  app.addHook('onClose', async () => {
    unregisterVariables();
    unregisterListener();
  });

  app.post(
    `${BASE}/workflows`,
    {
      config: requires(PERMISSIONS.createDuoWorkflow),
      schema: parameters(
        {
          project_id: { type: 'integer', required: true, description: 'The project the workflow works on' },
          goal: { type: 'string', required: true, description: 'What the workflow should achieve' },
          definition: {
            type: 'string',
            required: true,
            enum: WORKFLOW_DEFINITIONS,
            description: 'Kind of workflow',
          },
          environment: {
            type: 'string',
            enum: WORKFLOW_ENVIRONMENTS,
            description: 'Where it runs (default remote)',
          },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const params = apiParams(request);
      const workflow = await startWorkflow(context, person(request), {
        projectId: params.project_id,
        goal: params.goal,
        definition: params.definition,
        environment: params.environment,
      });
      return reply.status(201).send(await workflowView(db, workflow));
    },
  );

  app.post(
    `${BASE}/direct_access`,
    {
      config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.createDuoWorkflowDirectAccess) },
      schema: parameters(
        { workflow_id: { type: 'integer', description: 'The workflow the tokens are for' } },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const access = await issueDirectAccess(context, person(request), {
        workflowId: apiParams(request).workflow_id,
      });
      return reply.status(201).send(access);
    },
  );

  app.get<IdParams>(
    `${BASE}/workflows/:id`,
    { config: requires(PERMISSIONS.readDuoWorkflow) },
    async (request) => {
      const { workflow } = await authorizeWorkflow(db, request.principal, workflowId(request), 'read');
      return workflowView(db, workflow);
    },
  );

  app.patch<IdParams>(
    `${BASE}/workflows/:id`,
    {
      config: requires(PERMISSIONS.updateDuoWorkflow),
      schema: parameters(
        {
          status_event: {
            type: 'string',
            required: true,
            enum: STATUS_EVENTS,
            description: 'The status change',
          },
        },
        { in: 'body' },
      ),
    },
    async (request) => {
      const id = workflowId(request);
      const event = apiParams(request).status_event;
      if (typeof event !== 'string' || !(STATUS_EVENTS as readonly string[]).includes(event)) {
        throw new TesseraError('bad_request', '400 Bad request - status_event does not have a valid value');
      }
      const access = await authorizeWorkflow(db, request.principal, id, EVENT_ROLE[event as StatusEvent]);
      const changed = await changeWorkflowStatus(context, access, event, acting(request));
      return workflowView(db, changed);
    },
  );

  app.post<IdParams>(
    `${BASE}/workflows/:id/steps`,
    {
      config: requires(PERMISSIONS.updateDuoWorkflow),
      schema: parameters(
        {
          index: { type: 'integer', required: true, description: 'Position of the step' },
          title: { type: 'string', required: true, description: 'Title of the step' },
          status: { type: 'string', required: true, enum: STEP_STATUSES, description: 'Status of the step' },
          output: { type: 'string', description: 'Output of the step' },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const { workflow } = await authorizeWorkflow(db, request.principal, workflowId(request), 'executor');
      const params = apiParams(request);
      const step = await recordStep(context, workflow, {
        index: params.index,
        title: params.title,
        status: params.status,
        output: params.output,
      });
      return reply
        .status(201)
        .send({ index: step.step_index, title: step.title, status: step.status, output: step.output });
    },
  );

  app.post<IdParams>(
    `${BASE}/workflows/:id/notes`,
    {
      config: requires(PERMISSIONS.updateDuoWorkflow),
      schema: parameters(
        { body: { type: 'string', required: true, description: 'Text of the note' } },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const { workflow } = await authorizeWorkflow(db, request.principal, workflowId(request), 'executor');
      const note = await addNote(context, workflow, request.principal!.user, apiParams(request).body);
      return reply.status(201).send(noteView(note));
    },
  );
}

function workflowId(request: FastifyRequest<IdParams>): number {
  return requiredInteger(request.params, 'id');
}

function acting(request: FastifyRequest): ActingUser {
  return actingUserOf(request);
}

/** A person acting through their own credential: not a composite identity, not a CI job. */
function person(request: FastifyRequest): ActingUser {
  const principal = requireScope(request, PERSON_SCOPES);
  if (principal.scopedUser || principal.credential.kind === 'ci_job_token') {
    throw forbidden('403 Forbidden - only a person can run an AI workflow');
  }
  return actingUserOf(request, principal);
}
