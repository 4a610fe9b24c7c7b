/** A refusal or outage of the license authority or SaaS instance, in words safe to show an admin. */
export class UpstreamError extends Error {
  constructor(
    message: string,
    /** HTTP status of the answer; undefined when none came (network, timeout). */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

const TIMEOUT_MS = 10_000;
const MAX_MESSAGE = 300;

/**
 * POSTs JSON to `url` and returns the parsed JSON answer; any failure becomes an {@link UpstreamError}
 * naming who answered what (the upstream's own `message`, never the credential sent).
 */
export async function postJson(
  fetchImpl: typeof fetch,
  url: string,
  who: string,
  init: { headers?: Record<string, string>; body: unknown },
): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...init.headers },
      body: JSON.stringify(init.body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new UpstreamError(`${who} is unreachable (${cause})`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const said = (body as { message?: unknown } | undefined)?.message;
    const detail = typeof said === 'string' ? `: ${said.slice(0, MAX_MESSAGE)}` : '';
    throw new UpstreamError(`${who} answered ${response.status}${detail}`, response.status);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new UpstreamError(`${who} answered something that is not a JSON object`, response.status);
  }
  return body as Record<string, unknown>;
}
