import { rememberSecret } from '../../support/secrets.ts';

/** A parsed JSON answer: tests read its fields freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Answer {
  status: number;
  headers: Headers;
  body: Json;
}

/** A JSON request: `token` goes in PRIVATE-TOKEN, `bearer` in Authorization. */
export async function request(
  method: string,
  url: string,
  options: { token?: string; bearer?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['private-token'] = options.token;
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  let body: Json;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body };
}

/** A code-completion request body the gateway accepts. */
export const COMPLETION = {
  current_file: { file_name: 'hello.py', content_above_cursor: 'def hello():\n', content_below_cursor: '' },
};

/**
 * Calls the gateway the way an IDE does with a direct_access answer: its token as bearer, its
 * headers alongside. Remembers the token for the log-leak check.
 */
export async function completeWith(access: {
  base_url: string;
  token: string;
  headers: Record<string, string>;
}) {
  rememberSecret(access.token);
  return request('POST', `${access.base_url}/v2/completions`, {
    bearer: access.token,
    headers: access.headers,
    body: COMPLETION,
  });
}
