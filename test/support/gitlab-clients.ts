import { execFile } from 'node:child_process';
import type { Json } from '../tokens/token-fixtures.ts';
import { rememberSecret } from './secrets.ts';

/*
 * Driving the real GitLab clients from tests: Debian's python-gitlab (through a fixture script) and
 * `@gitbeaker/rest` (in process). One place for running a peer, reading what a fixture printed, and
 * reading what gitbeaker reports when the server refuses a call.
 */

/** Debian's interpreter: the one that sees `python3-gitlab`. */
export const PYTHON = '/usr/bin/python3';

export interface PeerRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a peer program (never through a shell); resolves with its exit code and output. */
export function runPeer(command: string, args: readonly string[]): Promise<PeerRun> {
  return new Promise((resolve) => {
    execFile(command, [...args], { timeout: 60_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/**
 * Runs a Python fixture script (python-gitlab, or another Debian peer such as Authlib). Fixtures print every secret they make at once on a line of its
 * own (`{"secret": …}`), registered here for the leak check even when a later step fails, and their
 * findings last (`{"result": …}`).
 */
export async function runPythonFixture(
  script: string,
  args: readonly string[],
): Promise<PeerRun & { result: Json }> {
  const run = await runPeer(PYTHON, [script, ...args]);
  const lines = run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { secret?: string; result?: unknown });
  for (const line of lines) if (line.secret) rememberSecret(line.secret);
  return { ...run, result: lines.find((line) => line.result !== undefined)?.result };
}

/** What gitbeaker reports for a refused call: the status and the server's `error` or `message`. */
export async function gitbeakerRefusal(
  call: Promise<unknown>,
): Promise<{ status: number; description: string }> {
  try {
    await call;
  } catch (error) {
    const cause = (error as { cause?: { response?: Response; description?: string } }).cause;
    if (cause?.response) return { status: cause.response.status, description: cause.description ?? '' };
    throw error;
  }
  throw new Error('the call was not refused');
}

/** The status a gitbeaker call ended with: 200 when it succeeded. */
export async function gitbeakerStatus(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (error) {
    const response = (error as { cause?: { response?: Response } }).cause?.response;
    if (response) return response.status;
    throw error;
  }
}
