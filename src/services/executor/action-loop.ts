import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { createWorkflowClient } from '../workflow-service/workflow-client.ts';
import type { Action } from '../workflow-service/workflow-protos.ts';
import { ExecutorError, maskSecrets, redact } from './executor-error.ts';
import { secretsOf } from './executor-variables.ts';
import { runAction, type ActionContext } from './run-action.ts';

/** What a step's record on the instance keeps of its answer. */
const STEP_OUTPUT_CHARS = 2000;

/**
 * Opens `ExecuteWorkflow` with the workflow-service token and works through the stream: the plan
 * names the steps; each action is recorded on the instance (running, then done or failed), carried
 * out, and answered; `finished` ends the loop with the service's summary. The stream ending early, or
 * ending with an error (e.g. UNAUTHENTICATED once the workflow's tokens are revoked), throws.
 *
 * @example
 * ```ts
 * const summary = await runActionLoop({ checkout, variables, api }, (line) => console.log(line));
 * ```
 */
export async function runActionLoop(context: ActionContext, log: (line: string) => void): Promise<string> {
  const { variables, api } = context;
  const secrets = secretsOf(variables);
  const client = createWorkflowClient(variables.serviceServer);
  const titles = new Map<number, string>();
  try {
    const stream = client.openExecuteWorkflow(variables.serviceToken, {
      instanceId: variables.instanceId,
      realm: variables.realm,
      globalUserId: variables.globalUserId,
    });
    stream.write({
      startRequest: {
        workflowId: variables.workflowId,
        goal: variables.goal,
        workflowDefinition: variables.definition,
      },
    });
    try {
      for await (const action of stream as AsyncIterable<Action>) {
        if (action.plan) {
          for (const step of action.plan.steps) titles.set(step.index, step.title);
          log(`plan: ${action.plan.steps.length} steps`);
          continue;
        }
        if (action.finished) {
          stream.end();
          return action.finished.summary;
        }
        const index = stepIndexOf(action);
        const title = titles.get(index) ?? `Step ${index}`;
        await api.recordStep({ index, title, status: 'running' });
        const outcome = await runAction(action, context);
        await api.recordStep({
          index,
          title,
          status: outcome.failed ? 'failed' : 'done',
          output: maskSecrets(outcome.response, secrets, STEP_OUTPUT_CHARS),
        });
        log(`step ${index} ${outcome.failed ? 'failed' : 'done'}: ${title}`);
        const response = maskSecrets(outcome.response, secrets);
        stream.write({ actionResponse: { requestId: action.requestId, response } });
      }
    } catch (error) {
      if (isServiceError(error)) {
        const name = grpcStatus[error.code] ?? String(error.code);
        throw new ExecutorError(
          `the workflow service ended the run: ${name} (${redact(error.details, secrets, 200)})`,
        );
      }
      throw error;
    }
    throw new ExecutorError('the workflow service ended the stream before the workflow finished');
  } finally {
    client.close();
  }
}

function stepIndexOf(action: Action): number {
  const step =
    action.readFile?.step ?? action.runCommand?.step ?? action.commitChange?.step ?? action.addComment?.step;
  return step ?? -1;
}

function isServiceError(error: unknown): error is ServiceError {
  return (
    error instanceof Error &&
    typeof (error as Partial<ServiceError>).code === 'number' &&
    typeof (error as Partial<ServiceError>).details === 'string'
  );
}
