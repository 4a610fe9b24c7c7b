import { ExecutorError, redact } from './executor-error.ts';
import { readExecutorVariables, secretsOf } from './executor-variables.ts';
import { cloneCheckout, localCheckout, type Checkout } from './git-workspace.ts';
import { runActionLoop } from './action-loop.ts';
import { createWorkflowApi } from './workflow-api.ts';

export interface ExecutorRunOptions {
  /** The variables: `process.env` from the CLI. Read once; nothing else is taken from the environment. */
  env: Readonly<Record<string, string | undefined>>;
  /** `--local`: the person's own checkout around `cwd` and their own OAuth token; no clone, no job token. */
  local: boolean;
  cwd: string;
  /** Progress, one line at a time (ids and titles, never a token). */
  log(line: string): void;
}

/**
 * `tessera executor run`: one workflow run with the credentials it was given — it creates none.
 * Clones the project with the job token (or, `--local`, uses the current checkout), marks the
 * workflow started, runs the workflow service's actions through {@link runActionLoop} and marks it
 * finished. On any failure it tries to mark the workflow failed (which may itself be refused once its
 * tokens are revoked) and throws an {@link ExecutorError}: one line, tokens masked.
 *
 * @example
 * ```ts
 * await runExecutor({ env: process.env, local: false, cwd: process.cwd(), log: console.log });
 * ```
 */
export async function runExecutor(options: ExecutorRunOptions): Promise<string> {
  const variables = readExecutorVariables(options.env, { local: options.local });
  const secrets = secretsOf(variables);
  const api = createWorkflowApi({
    baseUrl: variables.apiBaseUrl,
    workflowId: variables.workflowId,
    token: variables.oauthToken,
  });
  let checkout: Checkout | undefined;
  let started = false;
  try {
    checkout = options.local ? await localCheckout(options.cwd) : await cloneCheckout(variables);
    await api.setStatus('start');
    started = true;
    options.log(`workflow ${variables.workflowId} started (${variables.definition})`);
    const summary = await runActionLoop({ checkout, variables, api }, options.log);
    await api.setStatus('finish');
    options.log(`workflow ${variables.workflowId} finished: ${summary}`);
    return summary;
  } catch (error) {
    const reason =
      error instanceof ExecutorError
        ? error.message
        : redact(String((error as Error)?.message ?? error), secrets);
    if (started) {
      await api.setStatus('fail').catch((refused: unknown) => {
        options.log(
          `could not mark the workflow failed: ${redact(String((refused as Error).message), secrets)}`,
        );
      });
    }
    throw new ExecutorError(`workflow ${variables.workflowId} failed: ${reason}`);
  } finally {
    await checkout?.cleanup();
  }
}
