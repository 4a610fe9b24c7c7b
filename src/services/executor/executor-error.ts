/**
 * Why the executor stopped, in one line a person can act on. Built only from our own words and
 * values we chose to show; {@link redact} is the second line of defence for text that came from
 * elsewhere (git's stderr, an HTTP body).
 *
 * @example
 * ```ts
 * throw new ExecutorError('missing variable DUO_WORKFLOW_GOAL');
 * ```
 */
export class ExecutorError extends Error {
  constructor(message: string) {
    super(oneLine(message));
    this.name = 'ExecutorError';
  }
}

/**
 * `text` with every occurrence of the given secrets replaced by `[MASKED]`, on one line, bounded.
 *
 * @example
 * ```ts
 * redact(`fatal: ${stderr}`, [variables.oauthToken, variables.jobToken]);
 * ```
 */
export function redact(text: string, secrets: readonly (string | undefined)[], maxLength = 300): string {
  return bounded(oneLine(maskSecrets(text, secrets)), maxLength);
}

/**
 * `text` with every occurrence of the given secrets replaced by `[MASKED]`, lines kept, bounded:
 * for outputs a person reads on the instance (a step's output).
 *
 * @example
 * ```ts
 * maskSecrets(commandOutput, secrets, 2000);
 * ```
 */
export function maskSecrets(
  text: string,
  secrets: readonly (string | undefined)[],
  maxLength = Number.POSITIVE_INFINITY,
): string {
  let safe = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 8) safe = safe.split(secret).join('[MASKED]');
  }
  return bounded(safe, maxLength);
}

function bounded(text: string, maxLength: number): string {
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
