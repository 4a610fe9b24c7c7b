import type { Action } from '../workflow-service/workflow-protos.ts';
import { readCheckoutFile } from './checkout-paths.ts';
import { checkCommand } from './command-allowlist.ts';
import { ExecutorError } from './executor-error.ts';
import type { ExecutorVariables } from './executor-variables.ts';
import { runGit } from './git-command.ts';
import { commitAndPush, gitReason, type Checkout } from './git-workspace.ts';
import type { WorkflowApi } from './workflow-api.ts';

/** What one action came to: the answer for the service, and whether its step failed. */
export interface ActionOutcome {
  response: string;
  failed: boolean;
}

export interface ActionContext {
  checkout: Checkout;
  variables: ExecutorVariables;
  api: WorkflowApi;
}

const COMMAND_OUTPUT_BYTES = 64 * 1024;
const COMMAND_TIMEOUT_MS = 60_000;

/**
 * Carries out one action of the stream. A refused or failing read or command is a failed step the
 * service is told about (the run goes on, as a person would read "permission denied" and carry on);
 * a failing commit or comment ends the run, since the workflow's result would be missing.
 *
 * @example
 * ```ts
 * const { response, failed } = await runAction(action, { checkout, variables, api });
 * ```
 */
export async function runAction(action: Action, context: ActionContext): Promise<ActionOutcome> {
  if (action.readFile) {
    try {
      const file = await readCheckoutFile(context.checkout.root, action.readFile.path);
      const note = file.truncated ? `\n[truncated: first ${file.text.length} of ${file.size} bytes]` : '';
      return { response: `${file.text}${note}`, failed: false };
    } catch (error) {
      if (error instanceof ExecutorError) return { response: error.message, failed: true };
      throw error;
    }
  }
  if (action.runCommand) return runCommand(action.runCommand, context);
  if (action.commitChange) {
    const sha = await commitAndPush(context.checkout, context.variables, action.commitChange);
    return { response: sha, failed: false };
  }
  if (action.addComment) {
    const id = await context.api.addNote(action.addComment.body);
    return { response: String(id), failed: false };
  }
  throw new ExecutorError(
    `the workflow service sent an action this executor does not know (${action.action ?? 'none'})`,
  );
}

async function runCommand(
  command: { command: string; arguments: string[] },
  context: ActionContext,
): Promise<ActionOutcome> {
  const verdict = checkCommand(command.command, command.arguments);
  if (!verdict.allowed) return { response: verdict.reason, failed: true };
  const run = await runGit(verdict.gitArguments, {
    cwd: context.checkout.root,
    timeoutMs: COMMAND_TIMEOUT_MS,
    maxOutputBytes: COMMAND_OUTPUT_BYTES,
  });
  const output = `${run.stdout}${run.truncated ? `\n[truncated at ${COMMAND_OUTPUT_BYTES} bytes]` : ''}`;
  // `git grep` exits 1 when nothing matches: an answer, not a failure.
  const noMatch = verdict.gitArguments[0] === 'grep' && run.code === 1 && !run.timedOut;
  if (run.code === 0 || noMatch) return { response: noMatch ? '(no match)' : output, failed: false };
  return { response: `failed: ${gitReason(run, context.variables)}`, failed: true };
}
