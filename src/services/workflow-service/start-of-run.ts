import { status } from '@grpc/grpc-js';
import type { CloudConnectorClaims } from '@tessera/sdk';
import { isWorkflowDefinition, planId, type WorkflowDefinition } from './workflow-plan.ts';
import type { ClientEvent } from './workflow-protos.ts';

/** A run the service agreed to start. */
export interface RunStart {
  workflowId: string;
  goal: string;
  definition: WorkflowDefinition;
}

/**
 * Checks the first event of an `ExecuteWorkflow` stream against the token: a start request with a
 * goal, a known definition (default `software_development`, for clients that predate definitions),
 * and — when the token is bound to a workflow or a definition — that same one. Answers the run, or the
 * status to refuse it with.
 *
 * @example
 * ```ts
 * const start = startOfRun({ startRequest: { workflowId: '7', goal: 'fix it', workflowDefinition: 'chat' } }, claims);
 * ```
 */
export function startOfRun(
  event: ClientEvent,
  claims: CloudConnectorClaims,
): RunStart | { refused: status; details: string } {
  const goal = event.startRequest?.goal?.trim();
  if (!goal)
    return {
      refused: status.INVALID_ARGUMENT,
      details: 'the first event must be a start_request with a goal',
    };
  const boundWorkflow = stringClaim(claims.workflow_id);
  const boundDefinition = stringClaim(claims.workflow_definition);
  const requested = event.startRequest!;
  const definition = requested.workflowDefinition || boundDefinition || 'software_development';
  if (!isWorkflowDefinition(definition)) {
    return {
      refused: status.INVALID_ARGUMENT,
      details: `unknown workflow definition ${JSON.stringify(definition.slice(0, 64))}`,
    };
  }
  if (boundDefinition !== undefined && boundDefinition !== definition) {
    return { refused: status.PERMISSION_DENIED, details: 'the token is for another workflow definition' };
  }
  if (boundWorkflow !== undefined && requested.workflowId && requested.workflowId !== boundWorkflow) {
    return { refused: status.PERMISSION_DENIED, details: 'the token is for another workflow' };
  }
  return { workflowId: boundWorkflow ?? (requested.workflowId || planId(goal)), goal, definition };
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
