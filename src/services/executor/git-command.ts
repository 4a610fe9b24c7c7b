import { spawn } from 'node:child_process';

/** HTTP basic credentials for one git call: handed over through the environment, never argv. */
export interface GitCredentials {
  username: string;
  password: string;
}

export interface GitRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** True when stdout was cut at the limit. */
  truncated: boolean;
  timedOut: boolean;
}

export interface GitOptions {
  cwd: string;
  credentials?: GitCredentials;
  /** Written to git's stdin (file content, commit messages). */
  input?: string;
  /** Extra environment (author, a temporary index). */
  env?: Record<string, string>;
  timeoutMs?: number;
  maxOutputBytes?: number;
}

/*
 * The credential helper git runs (through `sh`) when a server asks for credentials. The first, empty
 * `credential.helper` clears every helper configured elsewhere, so none of them ever sees (or
 * stores) the token; ours answers `get` only, from two variables set for this one git process. Argv
 * and config files hold nothing secret: `ps` and `.git/config` show no token.
 */
const CREDENTIAL_HELPER =
  '!f() { test "$1" = get || return 0; printf "username=%s\\npassword=%s\\n" "$TESSERA_GIT_USERNAME" "$TESSERA_GIT_PASSWORD"; }; f';

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

/**
 * Runs real `git` with a clean environment: no system or global config (the executor's behaviour
 * does not depend on the machine), no prompts, no pager, HTTP(S) transports only, bounded output,
 * killed after the timeout. Resolves whatever the exit code; callers decide what failure means.
 *
 * @example
 * ```ts
 * const pushed = await runGit(['push', url, 'refs/heads/x:refs/heads/x'], { cwd, credentials: { username: 'oauth', password: token } });
 * ```
 */
export function runGit(args: readonly string[], options: GitOptions): Promise<GitRun> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? options.cwd,
    LANG: 'C.UTF-8',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_PAGER: 'cat',
    PAGER: 'cat',
    GIT_ALLOW_PROTOCOL: 'http:https',
    ...options.env,
  };
  if (options.credentials) {
    Object.assign(env, {
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'credential.helper',
      GIT_CONFIG_VALUE_0: '',
      GIT_CONFIG_KEY_1: 'credential.helper',
      GIT_CONFIG_VALUE_1: CREDENTIAL_HELPER,
      TESSERA_GIT_USERNAME: options.credentials.username,
      TESSERA_GIT_PASSWORD: options.credentials.password,
    });
  }
  const maxBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['--no-pager', ...args], {
      cwd: options.cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let stdoutBytes = 0;
    let stderrBytes = 0;
    let truncated = false;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdoutBytes >= maxBytes) return void (truncated = true);
      stdout.push(chunk.subarray(0, maxBytes - stdoutBytes));
      if (chunk.length > maxBytes - stdoutBytes) truncated = true;
      stdoutBytes += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderrBytes < 64 * 1024) stderr.push(chunk);
      stderrBytes += chunk.length;
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        truncated,
        timedOut,
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
