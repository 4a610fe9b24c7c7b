import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import { cloudConnectorClaims } from '@tessera/sdk/grpc';
import { planId, planWorkflow, type PlannedStep } from './workflow-plan.ts';
import type { Action, ClientEvent } from './workflow-protos.ts';

/** What the service logs about a run: ids, never tokens or the goal's text. */
export interface WorkflowLogger {
  info(fields: object, message: string): void;
}

/**
 * `ExecuteWorkflow`: the first client event must start the workflow with a goal; the service answers
 * with the plan, then sends one action per step and waits for the client's `ActionResponse` (matched
 * by `request_id`) before the next, and ends the stream with `finished`.
 */
export function executeWorkflowHandler(options: { logger: WorkflowLogger }) {
  return (call: ServerDuplexStream<ClientEvent, Action>): void => {
    const user = cloudConnectorClaims(call).sub;
    let steps: PlannedStep[] | undefined;
    let workflowId = '';
    let next = 0;
    let pendingRequestId: string | undefined;
    let done = false;

    const fail = (details: string) => {
      done = true;
      call.emit('error', { code: status.INVALID_ARGUMENT, details });
    };
    const sendNextStep = () => {
      const step = steps![next];
      if (step === undefined) {
        done = true;
        call.write({
          requestId: `${workflowId}:finished`,
          finished: { summary: `Completed ${steps!.length} steps.` },
        });
        call.end();
        options.logger.info({ workflowId, user, steps: steps!.length }, 'workflow finished');
        return;
      }
      next += 1;
      pendingRequestId = `${workflowId}:step-${step.index}`;
      const { action } = step;
      call.write(
        action.kind === 'read_file'
          ? { requestId: pendingRequestId, readFile: { step: step.index, path: action.path } }
          : {
              requestId: pendingRequestId,
              runCommand: { step: step.index, command: action.command, arguments: action.arguments },
            },
      );
    };

    call.on('data', (event: ClientEvent) => {
      if (done) return;
      if (steps === undefined) {
        const goal = event.startRequest?.goal?.trim();
        if (!goal) return fail('the first event must be a start_request with a goal');
        steps = planWorkflow(goal);
        workflowId = event.startRequest!.workflowId || planId(goal);
        options.logger.info({ workflowId, user, plan: planId(goal) }, 'workflow started');
        call.write({
          requestId: `${workflowId}:plan`,
          plan: { steps: steps.map(({ index, title }) => ({ index, title })) },
        });
        return sendNextStep();
      }
      if (event.actionResponse === undefined || event.actionResponse.requestId !== pendingRequestId) {
        return fail(`expected an action_response to ${pendingRequestId ?? 'nothing'}`);
      }
      pendingRequestId = undefined;
      sendNextStep();
    });
    // A client that hangs up early ends the run; there is nothing to roll back.
    call.on('end', () => {
      if (call.writable) call.end();
    });
  };
}
