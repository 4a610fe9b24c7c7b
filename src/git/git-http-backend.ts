import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { GIT_EXEC_PATH, gitEnvironment } from './run-git.ts';

/** One smart-HTTP request, already authenticated and authorized, as the CGI program needs it. */
export interface GitCgiRequest {
  /** Directory holding the bare repositories (`GIT_PROJECT_ROOT`). */
  projectRoot: string;
  /** `/<repository>/info/refs`, `/<repository>/git-upload-pack`, … relative to the root. */
  pathInfo: string;
  method: string;
  queryString: string;
  contentType?: string;
  /** `gzip` when the client compressed the body; git http-backend inflates it itself. */
  contentEncoding?: string;
  /** The `Git-Protocol` header (`version=2`). */
  gitProtocol?: string;
  /** Who is pushing or fetching; git http-backend refuses receive-pack without one. */
  remoteUser?: string;
  remoteAddr?: string;
  body?: Readable;
}

export interface GitCgiResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable;
  /** Resolves with the program's exit code once it has finished. */
  exited: Promise<number>;
}

/**
 * Hands a request to Debian's `git http-backend` (CGI): environment in, body on stdin, CGI headers
 * and body out. Resolves once the headers are read; the body streams on.
 */
export function runGitHttpBackend(request: GitCgiRequest): Promise<GitCgiResponse> {
  const env = gitEnvironment({
    GIT_PROJECT_ROOT: request.projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    PATH_INFO: request.pathInfo,
    REQUEST_METHOD: request.method,
    QUERY_STRING: request.queryString,
    ...(request.contentType ? { CONTENT_TYPE: request.contentType } : {}),
    ...(request.contentEncoding ? { HTTP_CONTENT_ENCODING: request.contentEncoding } : {}),
    ...(request.gitProtocol ? { GIT_PROTOCOL: request.gitProtocol } : {}),
    ...(request.remoteUser ? { REMOTE_USER: request.remoteUser } : {}),
    ...(request.remoteAddr ? { REMOTE_ADDR: request.remoteAddr } : {}),
  });
  const child = spawn(`${GIT_EXEC_PATH}/git-http-backend`, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < 4096) stderr += chunk;
  });
  // A client that hangs up mid-push must not crash the server with EPIPE.
  child.stdin.on('error', () => {});
  if (request.body) request.body.pipe(child.stdin);
  else child.stdin.end();

  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = headerEnd(head);
      if (!end) {
        if (head.length > 64 * 1024) fail(new Error('git http-backend sent no header block'));
        return;
      }
      child.stdout.off('data', onData);
      child.stdout.off('end', onEnd);
      const { status, headers } = parseCgiHeaders(head.subarray(0, end.start).toString('latin1'));
      const body = new PassThrough();
      body.write(head.subarray(end.after));
      child.stdout.pipe(body);
      resolve({ status, headers, body, exited });
    };
    const onEnd = () => fail(new Error(`git http-backend ended without a response: ${stderr.trim()}`));
    const fail = (error: Error) => {
      child.stdout.off('data', onData);
      child.kill();
      reject(error);
    };
    child.stdout.on('data', onData);
    child.stdout.on('end', onEnd);
    child.on('error', reject);
  });
}

function headerEnd(buffer: Buffer): { start: number; after: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { start: crlf, after: crlf + 4 };
  if (lf >= 0) return { start: lf, after: lf + 2 };
  return undefined;
}

/** CGI response headers: `Status: 404 Not Found` sets the status, the rest pass through. */
export function parseCgiHeaders(block: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'status') status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  return { status, headers };
}
