import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testLogDir } from '../../support/secrets.ts';

/** One `tessera serve <role>` process, as an operator runs it. */
export interface RoleProcess {
  role: string;
  env: Record<string, string>;
  /** What it printed on stdout (URLs; secrets it generated). */
  stdout: string;
  stop(): Promise<void>;
}

/** Environment every spawned process starts from: no inherited TESSERA_* settings. */
export function baseEnv(dataDir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    TESSERA_DATA_DIR: dataDir,
    TESSERA_LOG_LEVEL: 'info',
  };
}

/** A data directory of its own for a process; deleted by {@link RoleProcess.stop} callers via `rmSync`. */
export function tempDataDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `tessera-${name}-`));
}

/**
 * Spawns `node bin/tessera.mjs serve <role>` with exactly `env`, logging its stderr (the pino log)
 * into the run's log directory, and resolves once it printed "Tessera is ready.".
 */
export async function startRole(
  role: string,
  env: Record<string, string>,
  name = role,
): Promise<RoleProcess> {
  const child: ChildProcess = spawn(process.execPath, ['bin/tessera.mjs', 'serve', role], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logFile = join(testLogDir(), `${name}-${child.pid}.log`);
  child.stderr!.on('data', (chunk: Buffer) => appendFileSync(logFile, chunk));
  const running: RoleProcess = {
    role,
    env,
    stdout: '',
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} not ready within 90 s:\n${running.stdout}`)),
      90_000,
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      running.stdout += chunk.toString();
      if (running.stdout.includes('Tessera is ready.')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${running.stdout}`));
    });
  });
  return running;
}

/**
 * Runs a one-shot `tessera …` command with `env`; its stderr goes to the run's log directory.
 * Asynchronous: servers of this test process must keep answering while the command runs.
 */
export async function runTessera(
  args: string[],
  env: Record<string, string>,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['bin/tessera.mjs', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const logFile = join(testLogDir(), `cli-${args[0]}-${process.pid}.log`);
  child.stderr!.on('data', (chunk: Buffer) => {
    appendFileSync(logFile, chunk);
    // The tail only: enough to say why a command failed in the assertion that saw it fail.
    stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  return { status, stdout, stderr };
}

const STDERR_TAIL = 4000;

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
