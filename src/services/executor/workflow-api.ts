import { ExecutorError, redact } from './executor-error.ts';

/** `status_event`s the executor sends: it never cancels or resumes (that is the person's call). */
export type ExecutorStatusEvent = 'start' | 'finish' | 'fail';

export interface StepRecord {
  index: number;
  title: string;
  status: 'running' | 'done' | 'failed';
  output?: string;
}

export interface WorkflowApi {
  setStatus(event: ExecutorStatusEvent): Promise<void>;
  recordStep(step: StepRecord): Promise<void>;
  /** Comments on the workflow; answers the note's id. */
  addNote(body: string): Promise<number>;
}

const TIMEOUT_MS = 30_000;

/**
 * The instance's workflow endpoints (`/api/v4/ai/duo_workflows/workflows/:id`) as the executor calls
 * them, with the OAuth token as `Authorization: Bearer`. Any answer but 2xx becomes an
 * {@link ExecutorError} naming the call and the instance's `message`, with tokens masked.
 *
 * @example
 * ```ts
 * const api = createWorkflowApi({ baseUrl: 'http://127.0.0.1:8080', workflowId: '7', token });
 * await api.setStatus('start');
 * ```
 */
export function createWorkflowApi(options: {
  baseUrl: string;
  workflowId: string;
  token: string;
}): WorkflowApi {
  const path = `/api/v4/ai/duo_workflows/workflows/${encodeURIComponent(options.workflowId)}`;

  async function call(method: string, suffix: string, body: object): Promise<Record<string, unknown>> {
    const what = `${method} ${path}${suffix}`;
    let response: Response;
    try {
      response = await fetch(`${options.baseUrl}${path}${suffix}`, {
        method,
        headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new ExecutorError(`cannot reach the instance for ${what}: ${cause}`);
    }
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // Not JSON: the status alone says enough.
    }
    if (!response.ok) {
      const message = parsed.message ?? parsed.error_description ?? parsed.error ?? '';
      const reason = redact(
        typeof message === 'string' ? message : JSON.stringify(message),
        [options.token],
        200,
      );
      throw new ExecutorError(
        `the instance answered ${response.status} to ${what}${reason ? `: ${reason}` : ''}`,
      );
    }
    return parsed;
  }

  return {
    async setStatus(event) {
      await call('PATCH', '', { status_event: event });
    },
    async recordStep(step) {
      await call('POST', '/steps', step);
    },
    async addNote(body) {
      const note = await call('POST', '/notes', { body });
      if (typeof note.id !== 'number') throw new ExecutorError('the instance created a note without an id');
      return note.id;
    },
  };
}
