import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import { runRunner } from '../../src/runner/run-runner.ts';
import type { Job, Pipeline } from '../../src/store/ci-schema.ts';
import type { Namespace, Project, User } from '../../src/store/schema.ts';
import type { Engine } from '../../src/store/database.ts';
import type { Clock } from '../../src/util/clock.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret, testLogDir } from '../support/secrets.ts';
import * as world from '../support/world.ts';
import { call, depsOf, givePat, type Json } from '../tokens/token-fixtures.ts';

/** Settings that keep CI tests quick: short long polls, a watchdog every second, room for refused tokens. */
export const CI_TEST_ENV = {
  TESSERA_CI_RUNNER_LONG_POLL: '2',
  TESSERA_CI_WATCHDOG_INTERVAL: '1',
  TESSERA_AUTH_FAILURE_LIMIT: '1000',
};

export async function startCiInstance(
  name: string,
  options: { env?: Record<string, string>; clock?: Clock; engine?: Engine } = {},
) {
  return startTestInstance({
    name,
    env: { ...CI_TEST_ENV, ...options.env },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.engine ? { engine: options.engine } : {}),
  });
}

/** A person with a PAT able to push, maintainer of a new project in a new group. */
export interface CiActor {
  user: User;
  pat: string;
}

export async function personWithPat(
  instance: TestInstance,
  fields: { username?: string; is_admin?: number } = {},
): Promise<CiActor> {
  const user = await world.createUser(instance.context.db, fields);
  const { plaintext } = await givePat(depsOf(instance), user, ['api', 'read_repository', 'write_repository']);
  return { user, pat: plaintext };
}

export async function projectOf(
  instance: TestInstance,
  maintainer: User,
  fields: {
    group?: Namespace;
    groupPath?: string;
    path?: string;
    visibility?: 'private' | 'public' | 'internal';
  } = {},
): Promise<Project> {
  const db = instance.context.db;
  const group =
    fields.group ??
    (await world.createGroup(db, { ...(fields.groupPath ? { path: fields.groupPath } : {}) }));
  const project = await world.createProject(db, group, {
    ...(fields.path ? { path: fields.path } : {}),
    visibility: fields.visibility ?? 'private',
  });
  await world.addMember(db, project, maintainer, ACCESS_LEVELS.maintainer);
  return project;
}

const GIT_ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.test',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.test',
};

/** Runs real `git`; resolves with code, stdout and stderr whatever the outcome. */
export function git(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env: { ...GIT_ENV, HOME: cwd ?? tmpdir() } }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** `http://user:secret@host/path.git` for the instance. */
export function cloneUrl(instance: TestInstance, project: Project, username: string, secret: string): string {
  const url = new URL(`${instance.url}/${project.full_path}.git`);
  url.username = username;
  url.password = secret;
  return url.toString();
}

/**
 * Commits `files` on `branch` (a fresh history, or on top of what was pushed before from the same
 * work tree) and pushes them with real git over HTTP; returns the commit sha.
 */
export async function pushFiles(
  instance: TestInstance,
  project: Project,
  pusher: CiActor,
  files: Record<string, string>,
  options: { branch?: string; workTree?: string } = {},
): Promise<{ sha: string; workTree: string }> {
  const branch = options.branch ?? 'main';
  const dir = options.workTree ?? mkdtempSync(join(tmpdir(), 'tessera-push-'));
  if (!options.workTree) await mustGit(['init', '--quiet', `--initial-branch=${branch}`], dir);
  else await mustGit(['checkout', '--quiet', '-B', branch], dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  await mustGit(['add', '-A'], dir);
  await mustGit(['commit', '--quiet', '--allow-empty', '-m', `commit on ${branch}`], dir);
  const sha = (await mustGit(['rev-parse', 'HEAD'], dir)).trim();
  await mustGit(
    [
      'push',
      '--quiet',
      cloneUrl(instance, project, pusher.user.username, pusher.pat),
      `HEAD:refs/heads/${branch}`,
    ],
    dir,
  );
  return { sha, workTree: dir };
}

async function mustGit(args: string[], cwd: string): Promise<string> {
  const result = await git(args, cwd);
  if (result.code !== 0) throw new Error(`git ${args[0]} failed: ${result.stderr}`);
  return result.stdout;
}

/** Registers an instance runner through the API (as an admin) and returns its token. */
export async function registerRunner(
  instance: TestInstance,
  adminPat: string,
  body: Record<string, unknown> = { runner_type: 'instance_type' },
): Promise<{ id: number; token: string }> {
  const response = await call(instance, 'POST', '/api/v4/user/runners', { token: adminPat, body });
  if (response.status !== 201)
    throw new Error(`runner registration answered ${response.status}: ${JSON.stringify(response.body)}`);
  return { id: response.body.id, token: rememberSecret(response.body.token) };
}

/** The real shell runner, in this process, until `stop()`; its log goes to the run's log directory. */
export function startRunner(
  instance: TestInstance,
  token: string,
  name = 'runner',
): { stop(): Promise<void> } {
  const controller = new AbortController();
  const logFile = join(testLogDir(), `${name}-${Date.now()}.log`);
  const buildsDir = mkdtempSync(join(tmpdir(), 'tessera-builds-'));
  const running = runRunner({
    url: instance.url,
    token,
    buildsDir,
    signal: controller.signal,
    log: (line) => appendFileSync(logFile, `${line}\n`),
  }).catch((error: unknown) => appendFileSync(logFile, `runner stopped: ${String(error)}\n`));
  return {
    async stop() {
      controller.abort();
      await running;
      rmSync(buildsDir, { recursive: true, force: true });
    },
  };
}

/** `tessera runner run --once` as its own process, output into the run's log directory. */
export function spawnRunnerCli(instance: TestInstance, token: string): ChildProcess {
  const log = openSync(join(testLogDir(), `runner-cli-${Date.now()}.log`), 'a');
  return spawn(process.execPath, ['bin/tessera.mjs', 'runner', 'run', '--url', instance.url, '--once'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TESSERA_RUNNER_TOKEN: token, HOME: tmpdir() },
    stdio: ['ignore', log, log],
  });
}

/** Polls until `probe` returns something, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The project's newest pipeline once one exists. */
export async function latestPipeline(instance: TestInstance, project: Project, after = 0): Promise<Pipeline> {
  return eventually(
    async () =>
      instance.context.db
        .selectFrom('ci_pipelines')
        .selectAll()
        .where('project_id', '=', project.id)
        .where('id', '>', after)
        .orderBy('id', 'desc')
        .executeTakeFirst(),
    20_000,
    'a pipeline',
  );
}

/** The id of the project's newest pipeline right now, 0 when it has none (no waiting). */
export async function newestPipelineId(instance: TestInstance, project: Project): Promise<number> {
  const row = await instance.context.db
    .selectFrom('ci_pipelines')
    .select('id')
    .where('project_id', '=', project.id)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row?.id ?? 0;
}

const FINAL = ['success', 'failed', 'canceled', 'skipped'];

/** The pipeline's jobs once all of them have finished. */
export async function finishedJobs(
  instance: TestInstance,
  pipeline: Pipeline,
  timeoutMs = 30_000,
): Promise<Job[]> {
  return eventually(
    async () => {
      const jobs = await instance.context.db
        .selectFrom('ci_jobs')
        .selectAll()
        .where('pipeline_id', '=', pipeline.id)
        .orderBy('id')
        .execute();
      return jobs.length > 0 && jobs.every((j) => FINAL.includes(j.status)) ? jobs : undefined;
    },
    timeoutMs,
    `the jobs of pipeline ${pipeline.id} to finish`,
  );
}

/** A job in a given state. */
export async function jobInState(instance: TestInstance, jobId: number, status: string): Promise<Job> {
  return eventually(
    async () => {
      const job = await instance.context.db
        .selectFrom('ci_jobs')
        .selectAll()
        .where('id', '=', jobId)
        .executeTakeFirst();
      return job?.status === status ? job : undefined;
    },
    30_000,
    `job ${jobId} to be ${status}`,
  );
}

export { call, type Json };
