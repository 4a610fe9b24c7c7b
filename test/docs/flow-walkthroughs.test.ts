import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baseEnv,
  removeDir,
  startRole,
  tempDataDir,
  type RoleProcess,
} from '../cloud/support/role-process.ts';
import { freePort } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';

/*
 * Every ```sh walkthrough block of docs/flows/*.md runs, in order per page, the pages in a shuffled
 * order (each must run on its own, whatever ran before it), in one `bash` with
 * `set -euo pipefail` against a real `tessera serve all` (what `npm start` runs) on a fresh data
 * directory — so a walkthrough that stops working fails here, not in a newcomer's terminal. The
 * environment each block documents at its top is set here: the roles' URLs, root's token and password,
 * the license authority's admin token, and the server's own settings for `tessera` CLI commands.
 */

const DIR = 'docs/flows';
/** The order's seed: named in the suite's title, so `TESSERA_WALKTHROUGH_SEED=<it>` replays a failure. */
const SEED = Number(process.env.TESSERA_WALKTHROUGH_SEED ?? randomBytes(4).readUInt32LE(0));
const walkthroughs = shuffled(
  readdirSync(DIR)
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => ({ name, script: blocksOf(readFileSync(`${DIR}/${name}`, 'utf8')) }))
    .filter((page) => page.script !== ''),
  SEED,
);

/** Fisher–Yates driven by mulberry32(seed): the same seed, the same order. */
function shuffled<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function blocksOf(text: string): string {
  return [...text.matchAll(/^```sh walkthrough\n([\s\S]*?)^```$/gm)].map((m) => m[1]).join('\n');
}

/** Anything in a walkthrough's output that looks like a secret, so the leak check watches for it. */
const SECRET_SHAPES = [
  /\b(?:glpat|gldt|glrt|glcbt|gloat|glort|gloas|glptt|tslk|tslaa)-[A-Za-z0-9_-]{8,}/g,
  /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g,
];

const dataDir = tempDataDir('flow-walkthroughs');
let server: RoleProcess | undefined;
let env: Record<string, string>;

beforeAll(async () => {
  const [port, authority, gateway, workflow] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const serverEnv = {
    ...baseEnv(dataDir),
    TESSERA_PORT: String(port),
    TESSERA_LICENSE_AUTHORITY_PORT: String(authority),
    TESSERA_AI_GATEWAY_PORT: String(gateway),
    TESSERA_WORKFLOW_SERVICE_PORT: String(workflow),
    TESSERA_ROOT_TOKEN: rememberSecret(`glpat-${randomBytes(20).toString('base64url')}`),
    TESSERA_ROOT_PASSWORD: rememberSecret(randomBytes(12).toString('base64url')),
    TESSERA_LICENSE_AUTHORITY_ADMIN_TOKEN: rememberSecret(`tslaa-${randomBytes(24).toString('base64url')}`),
    // Short waits where a walkthrough waits for a window or a poll.
    TESSERA_AUTH_FAILURE_WINDOW: '3',
    TESSERA_CI_RUNNER_LONG_POLL: '2',
  };
  server = await startRole('all', serverEnv, 'flow-walkthroughs');
  env = {
    ...serverEnv,
    TESSERA_URL: `http://127.0.0.1:${port}`,
    LICENSE_AUTHORITY_URL: `http://127.0.0.1:${authority}`,
    AI_GATEWAY_URL: `http://127.0.0.1:${gateway}`,
    WORKFLOW_SERVICE_ADDRESS: `127.0.0.1:${workflow}`,
    ROOT_TOKEN: serverEnv.TESSERA_ROOT_TOKEN,
    ROOT_PASSWORD: serverEnv.TESSERA_ROOT_PASSWORD,
    LA_ADMIN_TOKEN: serverEnv.TESSERA_LICENSE_AUTHORITY_ADMIN_TOKEN,
  };
}, 120_000);

afterAll(async () => {
  await server?.stop();
  removeDir(dataDir);
});

describe(`flow walkthroughs against tessera serve all, in a shuffled order (seed ${SEED})`, () => {
  it.each(walkthroughs)('$name runs green', { timeout: 170_000 }, async ({ script }) => {
    const work = tempDataDir('walkthrough-work');
    shareCompileCache(work);
    try {
      // mktemp in a walkthrough lands in a directory removed afterwards.
      const result = await bash(script, { ...env, TMPDIR: work, HOME: work });
      for (const shape of SECRET_SHAPES)
        for (const [secret] of result.output.matchAll(shape)) rememberSecret(secret);
      expect(result.code, result.output.slice(-3000)).toBe(0);
    } finally {
      removeDir(work);
    }
  });
});

/**
 * The walkthrough's TMPDIR is its own, but tsx keeps its compile cache in TMPDIR too: link the run's
 * warm cache in, or every `tessera` command of the page compiles every source file again.
 */
function shareCompileCache(work: string): void {
  const cache = `tsx-${process.getuid?.() ?? 0}`;
  if (existsSync(join(tmpdir(), cache))) symlinkSync(join(tmpdir(), cache), join(work, cache));
}

/** Runs the page's blocks in one strict bash from the repository root, as a newcomer in a clone would. */
function bash(
  script: string,
  environment: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', `set -euo pipefail\n${script}`], {
      cwd: process.cwd(),
      env: environment,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // Each `tessera` command a walkthrough runs costs seconds of CPU (tsx compiles the sources), so a
    // busy machine needs the room; this bounds a hung command, not the speed.
    const timer = setTimeout(() => child.kill('SIGKILL'), 160_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
