import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import { cloudConnectorClaims } from '@tessera/sdk/grpc';
import { callerInstance } from './revoke-workflow-tokens.handler.ts';
import { startOfRun, type RunStart } from './start-of-run.ts';
import { planId, planWorkflow, type PlannedStep } from './workflow-plan.ts';
import type { Action, ClientEvent } from './workflow-protos.ts';
import type { WorkflowRevocationList } from './workflow-revocations.ts';

/** What the service logs about a run: ids, never tokens or the goal's text. */
export interface WorkflowLogger {
  info(fields: object, message: string): void;
}

/**
 * `ExecuteWorkflow`: the first client event must start the workflow with a goal; the service answers
 * with the plan, then sends one action per step and waits for the client's `ActionResponse` (matched
 * by `request_id`) before the next, and ends the stream with `finished`.
 *
 * A token bound to a workflow (`workflow_id` claim) runs only that workflow, is refused once the
 * workflow's tokens are revoked, and its stream is cut (UNAUTHENTICATED) when that happens mid-run.
 */
export function executeWorkflowHandler(options: {
  logger: WorkflowLogger;
  revocations: WorkflowRevocationList;
}) {
  return (call: ServerDuplexStream<ClientEvent, Action>): void => {
    const claims = cloudConnectorClaims(call);
    const user = claims.sub;
    const instance = callerInstance(claims);
    const boundWorkflow = typeof claims.workflow_id === 'string' ? claims.workflow_id : undefined;
    let steps: PlannedStep[] | undefined;
    let workflowId = '';
    let next = 0;
    let pendingRequestId: string | undefined;
    let done = false;
    let untrack = () => undefined as void;

    const end = (code: status, details: string) => {
      if (done) return;
      done = true;
      untrack();
      call.emit('error', { code, details });
    };

    const sendNextStep = () => {
      const step = steps![next];
      if (step === undefined) {
        done = true;
        untrack();
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
      call.write(actionOf(step, pendingRequestId));
    };

    const onData = (event: ClientEvent) => {
      if (done) return;
      if (steps === undefined) {
        const start: RunStart | { refused: status; details: string } = startOfRun(event, claims);
        if ('refused' in start) return end(start.refused, start.details);
        workflowId = start.workflowId;
        steps = planWorkflow(start.goal, start.definition, workflowId);
        options.logger.info(
          { workflowId, user, definition: start.definition, plan: planId(start.goal) },
          'workflow started',
        );
        call.write({
          requestId: `${workflowId}:plan`,
          plan: { steps: steps.map(({ index, title }) => ({ index, title })) },
        });
        return sendNextStep();
      }
      if (event.actionResponse === undefined || event.actionResponse.requestId !== pendingRequestId) {
        return end(
          status.INVALID_ARGUMENT,
          `expected an action_response to ${pendingRequestId ?? 'nothing'}`,
        );
      }
      pendingRequestId = undefined;
      sendNextStep();
    };
    // Listening starts the flow of client events; until then grpc-js holds them.
    const begin = () => {
      call.on('data', onData);
      // A client that hangs up early ends the run; there is nothing to roll back.
      call.on('end', () => {
        untrack();
        if (call.writable) call.end();
      });
    };
    call.on('cancelled', () => {
      done = true;
      untrack();
    });

    if (boundWorkflow === undefined) return begin();
    // Tracked before the check, so a revocation arriving meanwhile still finds the stream to cut.
    untrack = options.revocations.track(instance, boundWorkflow, claims.jti, () => {
      options.logger.info({ workflowId: boundWorkflow, user }, 'workflow stream cut: tokens revoked');
      end(status.UNAUTHENTICATED, 'token revoked');
    });
    if (!options.revocations.isRevoked(instance, boundWorkflow, claims.jti)) return begin();
    // Rare: a token of a revoked workflow. Look again before refusing (it may be a fresh one another
    // replica generated a moment ago); a store that cannot answer leaves it refused.
    options.revocations.confirmRevoked(instance, boundWorkflow, claims.jti).then(
      (revoked) => {
        if (revoked) end(status.UNAUTHENTICATED, 'token revoked');
        else if (!done) begin();
      },
      () => end(status.UNAUTHENTICATED, 'token revoked'),
    );
  };
}

/** The wire message for one planned step. */
function actionOf(step: PlannedStep, requestId: string): Action {
  const { action, index } = step;
  switch (action.kind) {
    case 'read_file':
      return { requestId, readFile: { step: index, path: action.path } };
    case 'run_command':
      return { requestId, runCommand: { step: index, command: action.command, arguments: action.arguments } };
    case 'commit_change':
      return {
        requestId,
        commitChange: {
          step: index,
          branch: action.branch,
          path: action.path,
          content: action.content,
          message: action.message,
        },
      };
    case 'add_comment':
      return { requestId, addComment: { step: index, body: action.body } };
  }
}
