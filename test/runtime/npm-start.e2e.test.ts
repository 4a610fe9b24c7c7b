import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (response: Response): Promise<any> => response.json();
import { freePort } from '../support/instance.ts';
import { rememberSecret, testLogDir } from '../support/secrets.ts';

/*
 * What a newcomer does: `npm start` (= `tessera serve all`) on an empty data directory, then again.
 * The process is the real CLI, talking over real sockets.
 */

const dataDir = mkdtempSync(join(tmpdir(), 'tessera-start-'));
let child: ChildProcess | undefined;

async function start(port: number): Promise<{ stdout: string; url: string }> {
  const proc = spawn(process.execPath, ['bin/tessera.mjs', 'serve', 'all'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TESSERA_DATA_DIR: dataDir,
      TESSERA_PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let stdout = '';
  const logFile = join(testLogDir(), `npm-start-${port}.log`);
  proc.stderr!.on('data', (chunk: Buffer) => appendFileSync(logFile, chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 60 s:\n${stdout}`)), 60_000);
    proc.stdout!.on('data', (chunk: Buffer) => {
      // stdout holds the seed's one-time secrets; the log check must not count it as a log.
      stdout += chunk.toString();
      if (stdout.includes('ready.')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => reject(new Error(`exited with ${code}:\n${stdout}`)));
  });
  return { stdout, url: `http://127.0.0.1:${port}` };
}

async function stop(): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child!.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

afterAll(async () => {
  await stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  let firstKids: string[] = [];
  let token = '';

  it('on an empty data directory serves discovery and JWKS and prints the seeded secrets once', async () => {
    const port = await freePort();
    const { stdout, url } = await start(port);
    const discovery = await json(await fetch(`${url}/.well-known/openid-configuration`));
    expect(discovery.issuer).toBe(url);
    const jwks = await json(await fetch(discovery.jwks_uri));
    firstKids = jwks.keys.map((k: { kid: string }) => k.kid).sort();
    expect(firstKids.length).toBeGreaterThanOrEqual(2);

    token = rememberSecret(/(glpat-[A-Za-z0-9_-]+)/.exec(stdout)![1]!);
    rememberSecret(/root password:\s*(\S+)/.exec(stdout)![1]!);
    const user = await fetch(`${url}/api/v4/user`, { headers: { 'PRIVATE-TOKEN': token } });
    expect(user.status).toBe(200);
    expect((await json(user)).username).toBe('root');
    await stop();
  });

  it('a second start keeps the same keys and data and prints no secret', async () => {
    const port = await freePort();
    const { stdout, url } = await start(port);
    expect(stdout).not.toContain('glpat-');
    expect(stdout).not.toMatch(/root password:/);
    const jwks = await json(await fetch(`${url}/oauth/discovery/keys`));
    expect(jwks.keys.map((k: { kid: string }) => k.kid).sort()).toEqual(firstKids);
    const user = await fetch(`${url}/api/v4/user`, { headers: { 'PRIVATE-TOKEN': token } });
    expect(user.status).toBe(200);
    const projects = await json(
      await fetch(`${url}/api/v4/projects`, { headers: { 'PRIVATE-TOKEN': token } }),
    );
    expect(projects.map((p: { path_with_namespace: string }) => p.path_with_namespace)).toContain(
      'demo/hello',
    );
    await stop();
  });
});
