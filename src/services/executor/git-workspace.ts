import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkoutRelativePath } from './checkout-paths.ts';
import { ExecutorError, redact } from './executor-error.ts';
import type { ExecutorVariables } from './executor-variables.ts';
import { runGit, type GitOptions } from './git-command.ts';

/** Where the run works, and what removes it afterwards (nothing, for the person's own checkout). */
export interface Checkout {
  root: string;
  cleanup(): Promise<void>;
}

/** The one branch namespace the executor pushes to: a workflow never touches `main` or anyone's branch. */
export const WORKFLOW_BRANCH_PREFIX = 'duo-workflow/';
const MAX_CONTENT_BYTES = 256 * 1024;

/** `<git base>/<group/project>.git`: carries no credential, so it may appear in argv and `.git/config`. */
export function repositoryUrl(variables: ExecutorVariables): string {
  return `${variables.gitBaseUrl}/${variables.projectPath}.git`;
}

/**
 * A CI run's checkout: a clone into a fresh temporary directory with the job token
 * (`gitlab-ci-token`), removed when the run ends.
 *
 * @example
 * ```ts
 * const checkout = await cloneCheckout(variables);
 * try { … } finally { await checkout.cleanup(); }
 * ```
 */
export async function cloneCheckout(variables: ExecutorVariables): Promise<Checkout> {
  const parent = await mkdtemp(join(tmpdir(), 'tessera-executor-'));
  const cleanup = () => rm(parent, { recursive: true, force: true });
  const root = join(parent, 'checkout');
  const cloned = await runGit(['clone', '--quiet', '--no-tags', repositoryUrl(variables), root], {
    cwd: parent,
    credentials: { username: 'gitlab-ci-token', password: variables.jobToken ?? '' },
  });
  if (cloned.code !== 0) {
    await cleanup();
    throw new ExecutorError(`cannot clone ${variables.projectPath}: ${gitReason(cloned, variables)}`);
  }
  return { root, cleanup };
}

/** `--local`: the git checkout around `cwd`, left as it is found (apart from the workflow's branch). */
export async function localCheckout(cwd: string): Promise<Checkout> {
  const top = await runGit(['rev-parse', '--show-toplevel'], { cwd });
  if (top.code !== 0) throw new ExecutorError('--local must run inside a git checkout of the project');
  return { root: top.stdout.trim(), cleanup: async () => undefined };
}

/**
 * `commit_change`: commits `content` at `path` on `branch` and pushes it with the OAuth token,
 * answering the commit's sha. Built with a temporary index (`read-tree`, `update-index`,
 * `commit-tree`), so the working tree, the real index and the current branch stay untouched — which
 * matters for `--local`, where they are the person's. The branch must be under `duo-workflow/`; the
 * commit goes on top of the branch when it already exists (a resumed workflow), else on HEAD; the
 * push is never forced.
 */
export async function commitAndPush(
  checkout: Checkout,
  variables: ExecutorVariables,
  change: { branch: string; path: string; content: string; message: string },
): Promise<string> {
  const path = checkoutRelativePath(change.path);
  await checkBranch(checkout.root, change.branch);
  if (Buffer.byteLength(change.content) > MAX_CONTENT_BYTES)
    throw new ExecutorError('refused: content too large');
  const message = change.message.trim().slice(0, 2000) || `Duo workflow ${variables.workflowId}`;
  const git = async (args: string[], options: Partial<GitOptions> = {}) => {
    const run = await runGit(args, { cwd: checkout.root, ...options });
    if (run.code !== 0) throw new ExecutorError(`git ${args[0]} failed: ${gitReason(run, variables)}`);
    return run.stdout.trim();
  };
  const base = await firstCommit(checkout.root, [
    `refs/remotes/origin/${change.branch}`,
    `refs/heads/${change.branch}`,
    'HEAD',
  ]);
  const scratch = await mkdtemp(join(tmpdir(), 'tessera-executor-index-'));
  try {
    const env = { GIT_INDEX_FILE: join(scratch, 'index'), ...authorEnv(variables) };
    await git(base ? ['read-tree', base] : ['read-tree', '--empty'], { env });
    const blob = await git(['hash-object', '-w', '--stdin'], { env, input: change.content });
    await git(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { env });
    const tree = await git(['write-tree'], { env });
    const commit = await git(['commit-tree', tree, ...(base ? ['-p', base] : []), '-F', '-'], {
      env,
      input: `${message}\n`,
    });
    // The local branch too, so a person running --local sees it — unless it is the one checked out,
    // whose working tree this must not pull the rug from under.
    const current = await runGit(['symbolic-ref', '--quiet', 'HEAD'], { cwd: checkout.root });
    if (current.stdout.trim() !== `refs/heads/${change.branch}`) {
      await git(['update-ref', `refs/heads/${change.branch}`, commit]);
    }
    await git(['push', '--quiet', repositoryUrl(variables), `${commit}:refs/heads/${change.branch}`], {
      credentials: { username: variables.gitUser, password: variables.oauthToken },
    });
    return commit;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function checkBranch(root: string, branch: string): Promise<void> {
  const valid = await runGit(['check-ref-format', `refs/heads/${branch}`], { cwd: root });
  if (!branch.startsWith(WORKFLOW_BRANCH_PREFIX) || valid.code !== 0) {
    throw new ExecutorError(
      `refused: the executor pushes only to valid branches under ${WORKFLOW_BRANCH_PREFIX}`,
    );
  }
}

async function firstCommit(root: string, refs: string[]): Promise<string | undefined> {
  for (const ref of refs) {
    const found = await runGit(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: root });
    if (found.code === 0) return found.stdout.trim();
  }
  return undefined;
}

function authorEnv(variables: ExecutorVariables): Record<string, string> {
  const email = `noreply@${new URL(variables.apiBaseUrl).hostname}`;
  return {
    GIT_AUTHOR_NAME: 'Duo Workflow',
    GIT_AUTHOR_EMAIL: email,
    GIT_COMMITTER_NAME: 'Duo Workflow',
    GIT_COMMITTER_EMAIL: email,
  };
}

/** git's own explanation (its last stderr line), with any token masked. */
export function gitReason(
  run: { stderr: string; code: number | null; timedOut: boolean },
  variables: ExecutorVariables,
): string {
  if (run.timedOut) return 'timed out';
  const lines = run.stderr.trim().split('\n').filter(Boolean);
  const { oauthToken, serviceToken, jobToken } = variables;
  return redact(lines.at(-1) ?? `exit code ${run.code}`, [oauthToken, serviceToken, jobToken], 200);
}
