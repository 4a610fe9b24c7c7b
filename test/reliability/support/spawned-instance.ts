import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../support/instance.ts';
import { testLogDir } from '../../support/secrets.ts';

/** `tessera serve instance` as an operator runs it: its own process, killable with any signal. */
export interface SpawnedInstance {
  url: string;
  child: ChildProcess;
  /** Sends SIGKILL and waits until the process is gone. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts `node bin/tessera.mjs serve instance` with `env` (plus a free port unless given), its stderr
 * (the log) in the run's log directory, and resolves once it prints that it is ready.
 */
export async function spawnInstance(
  env: Record<string, string>,
  options: { name: string; port?: number },
): Promise<SpawnedInstance> {
  const port = options.port ?? (await freePort());
  const log = createWriteStream(join(testLogDir(), `${options.name}-${port}-${Date.now()}.log`));
  const child = spawn(process.execPath, ['bin/tessera.mjs', 'serve', 'instance'], {
    cwd: process.cwd(),
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      ...env,
      TESSERA_PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${options.name} did not start within 60 s`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      // stdout may carry one-time secrets (seeds); only the readiness line is looked for, nothing is kept.
      if (out.includes('Tessera is ready.')) {
        clearTimeout(timer);
        out = '';
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited with ${code} before it was ready`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
