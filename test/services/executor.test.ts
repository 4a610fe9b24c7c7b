import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutRelativePath } from '../../src/services/executor/checkout-paths.ts';
import { checkCommand } from '../../src/services/executor/command-allowlist.ts';
import {
  readExecutorVariables,
  type ExecutorVariables,
} from '../../src/services/executor/executor-variables.ts';
import { cloneCheckout, commitAndPush, type Checkout } from '../../src/services/executor/git-workspace.ts';
import { runAction } from '../../src/services/executor/run-action.ts';
import type { WorkflowApi } from '../../src/services/executor/workflow-api.ts';
import { cloneUrl, git } from '../ci/ci-world.ts';
import { rememberSecret, testLogDir } from '../support/secrets.ts';
import { startExecutorWorld, type ExecutorWorld } from './support/executor-world.ts';

/** `tessera executor run` as its own process, with exactly `env`. */
function runCli(args: string[], env: Record<string, string>, cwd = process.cwd()) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [join(process.cwd(), 'bin/tessera.mjs'), 'executor', 'run', ...args],
      { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir(), ...env } },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

// Read-only actions never call the instance: an API that would show it if they did.
const noApi: WorkflowApi = {
  setStatus: () => Promise.reject(new Error('unexpected')),
  recordStep: () => Promise.reject(new Error('unexpected')),
  addNote: () => Promise.reject(new Error('unexpected')),
};

describe('tessera executor run', () => {
  let world: ExecutorWorld;
  let oauthToken: string;
  let jobToken: string;
  let env: Record<string, string>;
  let variables: ExecutorVariables;
  let checkout: Checkout;

  beforeAll(async () => {
    world = await startExecutorWorld('executor');
    oauthToken = await world.aliceOAuthToken();
    jobToken = await world.runningJobToken();
    env = {
      GITLAB_OAUTH_TOKEN: oauthToken,
      DUO_WORKFLOW_SERVICE_TOKEN: rememberSecret('eyJhbGciOiJub25lIn0.not-a-real-service-token.x'),
      DUO_WORKFLOW_SERVICE_SERVER: '127.0.0.1:1',
      DUO_WORKFLOW_WORKFLOW_ID: '77',
      DUO_WORKFLOW_GOAL: 'document the widget login',
      DUO_WORKFLOW_DEFINITION: 'software_development',
      DUO_WORKFLOW_GIT_HTTP_USER: 'oauth',
      DUO_WORKFLOW_GIT_HTTP_BASE_URL: world.instance.url,
      GITLAB_BASE_URL: world.instance.url,
      GITLAB_PROJECT_PATH: world.project.full_path,
      CI_JOB_TOKEN: jobToken,
    };
    variables = readExecutorVariables(env, { local: false });
    checkout = await cloneCheckout(variables);
  });
  afterAll(async () => {
    await checkout?.cleanup();
    rmSync(world.workTree, { recursive: true, force: true });
    await world.stop();
  });

  describe('variables', () => {
    it('names a missing variable on one line, exits 1 and prints no token', async () => {
      const { DUO_WORKFLOW_GOAL: _goal, ...withoutGoal } = env;
      const run = await runCli([], withoutGoal);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        'tessera: missing variable DUO_WORKFLOW_GOAL (is this a workflow job? use --local to run in your own checkout)\n',
      );
      for (const secret of [oauthToken, jobToken, env.DUO_WORKFLOW_SERVICE_TOKEN!]) {
        expect(run.stdout + run.stderr).not.toContain(secret);
      }
    });

    it('needs no job token with --local, but refuses a URL carrying credentials', async () => {
      const { CI_JOB_TOKEN: _job, DUO_WORKFLOW_GIT_HTTP_BASE_URL: _git, ...local } = env;
      const withCredentials = `http://oauth:${oauthToken}@127.0.0.1:1`;
      const run = await runCli(['--local'], { ...local, GITLAB_BASE_URL: withCredentials });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^tessera: invalid variables: GITLAB_BASE_URL must be an http\(s\) URL/);
      expect(run.stderr).not.toContain(oauthToken);
      expect(() => readExecutorVariables(local, { local: true })).not.toThrow();
    });

    it('fails cleanly when the workflow service cannot be reached, never echoing a token', async () => {
      const run = await runCli([], env);
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^tessera: workflow 77 failed: /);
      for (const secret of [oauthToken, jobToken]) expect(run.stdout + run.stderr).not.toContain(secret);
    });
  });

  describe('read_file stays inside the checkout', () => {
    const read = (path: string) =>
      runAction({ requestId: 'r', readFile: { step: 0, path } }, { checkout, variables, api: noApi });

    it('reads a file of the clone', async () => {
      expect(await read('README.md')).toEqual({
        response: expect.stringContaining('# Widgets'),
        failed: false,
      });
      expect(await read('./src//login_controller.ts')).toMatchObject({ failed: false });
    });

    it('refuses "..", absolute paths, .git and directories as failed steps', async () => {
      expect(await read('../checkout/README.md')).toEqual({
        response: 'refused: ".." leaves the checkout',
        failed: true,
      });
      expect((await read('/etc/passwd')).response).toBe('refused: absolute paths are outside the checkout');
      expect((await read('.git/config')).response).toMatch(/\.git directory is off limits/);
      expect((await read('src')).response).toBe('refused: src is not a regular file');
      expect((await read('missing.md')).response).toBe('no such file: missing.md');
      expect(() => checkoutRelativePath('a\nb')).toThrow(/not a usable path/);
    });

    it('refuses a symlink that leads out of the checkout, and follows one that stays in', async () => {
      const outside = mkdtempSync(join(tmpdir(), 'tessera-outside-'));
      writeFileSync(join(outside, 'secret.txt'), 'not for the service\n');
      symlinkSync(join(outside, 'secret.txt'), join(checkout.root, 'escape.txt'));
      symlinkSync(outside, join(checkout.root, 'escape-dir'));
      symlinkSync('README.md', join(checkout.root, 'readme-link'));
      try {
        expect((await read('escape.txt')).response).toBe('refused: escape.txt leads outside the checkout');
        expect((await read('escape-dir/secret.txt')).response).toMatch(/leads outside the checkout/);
        expect((await read('readme-link')).response).toContain('# Widgets');
      } finally {
        for (const link of ['escape.txt', 'escape-dir', 'readme-link']) rmSync(join(checkout.root, link));
        rmSync(outside, { recursive: true, force: true });
      }
    });

    it('cuts a large file at 64 KiB', async () => {
      writeFileSync(join(checkout.root, 'big.txt'), 'x'.repeat(100_000));
      try {
        const { response } = await read('big.txt');
        expect(response).toContain('[truncated: first 65536 of 100000 bytes]');
        expect(response.length).toBeLessThan(66_000);
      } finally {
        rmSync(join(checkout.root, 'big.txt'));
      }
    });
  });

  describe('run_command runs only the allowlist', () => {
    const runCommand = (command: string, args: string[]) =>
      runAction(
        { requestId: 'r', runCommand: { step: 1, command, arguments: args } },
        { checkout, variables, api: noApi },
      );

    it('runs git ls-files, git grep and git status in the checkout', async () => {
      expect((await runCommand('git', ['ls-files'])).response.split('\n')).toEqual(
        expect.arrayContaining(['README.md', 'src/login_controller.ts']),
      );
      expect(await runCommand('git', ['grep', '-n', '--', 'login_controller'])).toEqual({
        response: 'src/login_controller.ts:1:export const login_controller = () => "ok";\n',
        failed: false,
      });
      expect(await runCommand('git', ['grep', '-n', '--', 'nowhere_to_be_found'])).toEqual({
        response: '(no match)',
        failed: false,
      });
      expect(await runCommand('git', ['status', '--short'])).toEqual({ response: '', failed: false });
    });

    it('refuses anything else as a failed step: npm test, shells, and git options that run programs', async () => {
      writeFileSync(join(checkout.root, 'package.json'), '{"scripts":{"test":"touch ran"}}');
      try {
        expect(await runCommand('npm', ['test'])).toEqual({
          response: expect.stringMatching(/^refused: "npm test" is not allowed/),
          failed: true,
        });
      } finally {
        rmSync(join(checkout.root, 'package.json'));
      }
      expect((await runCommand('bash', ['-c', 'id'])).failed).toBe(true);
      expect((await runCommand('git', ['push', 'origin'])).failed).toBe(true);
      expect((await runCommand('git', ['grep', '-Otouch', 'x'])).response).toBe(
        'refused: option -Otouch of git grep is not allowed',
      );
      expect(checkCommand('git', ['log', '--output=/tmp/x'])).toMatchObject({ allowed: false });
      expect(checkCommand('git', ['log', '--oneline', '-5'])).toMatchObject({ allowed: true });
      expect(checkCommand('git', ['grep', '-e', '--output=x', '--', '-Oanything'])).toMatchObject({
        allowed: true,
      });
      expect(readFileSync(join(checkout.root, 'README.md'), 'utf8')).toContain('# Widgets');
    });
  });

  describe('commit_change over real git smart HTTP', () => {
    it('commits on the workflow branch and pushes it with the OAuth token, leaving the tree alone', async () => {
      const argvLog = join(testLogDir(), `executor-git-argv-${process.pid}.log`);
      const shims = mkdtempSync(join(tmpdir(), 'tessera-git-shim-'));
      // A `git` in front of the real one that records every command line it is given (what `ps` shows).
      writeFileSync(
        join(shims, 'git'),
        `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec /usr/bin/git "$@"\n`,
      );
      chmodSync(join(shims, 'git'), 0o755);
      const path = process.env.PATH;
      process.env.PATH = `${shims}:${path}`;
      let sha: string;
      try {
        sha = await commitAndPush(checkout, variables, {
          branch: 'duo-workflow/77',
          path: 'DUO_WORKFLOW_NOTES.md',
          content: '# Duo workflow 77\n',
          message: 'Duo workflow 77: document the widget login',
        });
      } finally {
        process.env.PATH = path;
        rmSync(shims, { recursive: true, force: true });
      }
      const remote = await git(['ls-remote', cloneUrl(world.instance, world.project, 'x', world.alice.pat)]);
      expect(remote.stdout).toContain(`${sha}\trefs/heads/duo-workflow/77`);

      const argv = readFileSync(argvLog, 'utf8');
      expect(argv).toContain('push --quiet');
      expect(argv).not.toContain(oauthToken);
      expect(argv).not.toContain(jobToken);
      expect(readFileSync(join(checkout.root, '.git/config'), 'utf8')).not.toMatch(/glcbt-|gloat-|@127/);
      const author = await git(['log', '-1', '--format=%an <%ae>|%s', sha], checkout.root);
      expect(author.stdout.trim()).toBe(
        'Duo Workflow <noreply@127.0.0.1>|Duo workflow 77: document the widget login',
      );
      expect((await git(['status', '--short'], checkout.root)).stdout).toBe('');
      expect((await git(['rev-parse', '--abbrev-ref', 'HEAD'], checkout.root)).stdout.trim()).toBe('main');

      // A second change goes on top of the branch: a fast-forward, never a forced push.
      const next = await commitAndPush(checkout, variables, {
        branch: 'duo-workflow/77',
        path: 'notes/second.md',
        content: 'again\n',
        message: 'again',
      });
      expect((await git(['rev-parse', `${next}^`], checkout.root)).stdout.trim()).toBe(sha);
    });

    it('refuses to push anywhere but a duo-workflow/ branch, or to write into .git', async () => {
      const change = { path: 'x.md', content: 'x', message: 'x' };
      await expect(commitAndPush(checkout, variables, { ...change, branch: 'main' })).rejects.toThrow(
        'refused: the executor pushes only to valid branches under duo-workflow/',
      );
      await expect(
        commitAndPush(checkout, variables, { ...change, branch: 'duo-workflow/../main' }),
      ).rejects.toThrow(/refused/);
      await expect(
        commitAndPush(checkout, variables, {
          ...change,
          branch: 'duo-workflow/x',
          path: '.git/hooks/pre-push',
        }),
      ).rejects.toThrow(/\.git directory is off limits/);
    });

    it('reports a refused push in one line without the token', async () => {
      const readOnly = await world.aliceOAuthToken('read_user');
      const refused = commitAndPush(
        checkout,
        { ...variables, oauthToken: readOnly },
        {
          branch: 'duo-workflow/78',
          path: 'x.md',
          content: 'x',
          message: 'x',
        },
      );
      await expect(refused).rejects.toThrow(/^git push failed: /);
      const message = await refused.catch((error: Error) => error.message);
      expect(message).not.toContain(readOnly);
      expect(message).not.toContain('\n');
    });
  });

  it('clones with the job token into a temporary directory it removes afterwards', async () => {
    const other = await cloneCheckout(variables);
    expect(readFileSync(join(other.root, 'README.md'), 'utf8')).toContain('# Widgets');
    mkdirSync(join(other.root, 'scratch'));
    await other.cleanup();
    expect(() => readFileSync(join(other.root, 'README.md'))).toThrow();
    await expect(cloneCheckout({ ...variables, jobToken: 'glcbt-not-a-real-token-000000' })).rejects.toThrow(
      /^cannot clone .*widgets: /,
    );
  });
});
