import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGit } from './run-git.ts';

/** A ref a pipeline can run for, and the commit it points at. */
export interface ResolvedRef {
  ref: string;
  type: 'branch' | 'tag';
  sha: string;
}

/** A branch and the commit at its tip, as `git for-each-ref` reads them. */
export interface BranchHead {
  name: string;
  commit: {
    sha: string;
    parentShas: string[];
    title: string;
    message: string;
    authorName: string;
    authorEmail: string;
    authoredDate: string;
    committerName: string;
    committerEmail: string;
    committedDate: string;
  };
}

const FIELD = '\x1f';
const RECORD = '\x1e';
const BRANCH_FORMAT =
  [
    '%(refname:lstrip=2)',
    '%(objectname)',
    '%(parent)',
    '%(contents:subject)',
    '%(authorname)',
    '%(authoremail:trim)',
    '%(authordate:iso-strict)',
    '%(committername)',
    '%(committeremail:trim)',
    '%(committerdate:iso-strict)',
    '%(contents)',
  ].join('%1f') + '%1e';

/** The sha git uses for "no commit" in a ref update (a ref created or deleted). */
export const ZERO_SHA = '0'.repeat(40);

/**
 * The bare repositories of every project, under `<dataDir>/repositories/<project id>.git`. Keyed by id
 * rather than path (like the platform's hashed storage) so renaming a project or group moves nothing.
 * A repository is created on first authorized git access, so a project that never sees git has none.
 */
export class RepositoryStore {
  constructor(readonly root: string) {}

  /** `PATH_INFO` of the project's repository for `git http-backend`, relative to {@link root}. */
  relativePathOf(projectId: number): string {
    return `${projectId}.git`;
  }

  pathOf(projectId: number): string {
    return join(this.root, this.relativePathOf(projectId));
  }

  exists(projectId: number): boolean {
    return existsSync(join(this.pathOf(projectId), 'HEAD'));
  }

  /** Creates the bare repository, its HEAD on the project's default branch, unless it exists. */
  async ensure(projectId: number, defaultBranch: string): Promise<string> {
    const path = this.pathOf(projectId);
    if (this.exists(projectId)) return path;
    mkdirSync(this.root, { recursive: true });
    await runGit(['init', '--bare', '--quiet', `--initial-branch=${defaultBranch}`, path]);
    return path;
  }

  /** Removes the project's repository (the project was deleted); nothing when it has none. */
  async remove(projectId: number): Promise<void> {
    await rm(this.pathOf(projectId), { recursive: true, force: true });
  }

  /** Every branch with its tip commit, by name; none when the project has no repository yet. */
  async listBranches(projectId: number): Promise<BranchHead[]> {
    if (!this.exists(projectId)) return [];
    const out = await runGit([
      '--git-dir',
      this.pathOf(projectId),
      'for-each-ref',
      '--sort=refname',
      `--format=${BRANCH_FORMAT}`,
      'refs/heads/',
    ]);
    return out
      .split(RECORD)
      .map((record) => record.replace(/^\n/, ''))
      .filter((record) => record.length > 0)
      .map((record) => {
        const [
          name,
          sha,
          parents,
          title,
          authorName,
          authorEmail,
          authoredDate,
          committerName,
          committerEmail,
          committedDate,
          message,
        ] = record.split(FIELD);
        return {
          name: name!,
          commit: {
            sha: sha!,
            parentShas: parents ? parents.split(' ').filter(Boolean) : [],
            title: title ?? '',
            message: message ?? '',
            authorName: authorName ?? '',
            authorEmail: authorEmail ?? '',
            authoredDate: authoredDate ?? '',
            committerName: committerName ?? '',
            committerEmail: committerEmail ?? '',
            committedDate: committedDate ?? '',
          },
        };
      });
  }

  /** Names of the branches whose tip is already in `target` (GitLab's `merged`). */
  async branchesMergedInto(projectId: number, target: string): Promise<Set<string>> {
    if (!this.exists(projectId) || !/^[\w./-]+$/.test(target) || target.startsWith('-')) return new Set();
    try {
      const out = await runGit([
        '--git-dir',
        this.pathOf(projectId),
        'for-each-ref',
        '--format=%(refname:lstrip=2)',
        `--merged=refs/heads/${target}`,
        'refs/heads/',
      ]);
      return new Set(out.split('\n').filter(Boolean));
    } catch {
      return new Set();
    }
  }

  /** The commit a branch or tag name points at; branches win over tags of the same name. */
  async resolveRef(projectId: number, ref: string): Promise<ResolvedRef | undefined> {
    if (!this.exists(projectId) || !/^[\w./-]+$/.test(ref) || ref.startsWith('-')) return undefined;
    for (const [type, full] of [
      ['branch', `refs/heads/${ref}`],
      ['tag', `refs/tags/${ref}`],
    ] as const) {
      const sha = await this.commitOf(projectId, full);
      if (sha) return { ref, type, sha };
    }
    return undefined;
  }

  /** The commit a full ref (`refs/heads/main`) points at, or undefined. */
  async commitOf(projectId: number, fullRef: string): Promise<string | undefined> {
    try {
      const out = await runGit([
        '--git-dir',
        this.pathOf(projectId),
        'rev-parse',
        '--verify',
        '--quiet',
        `${fullRef}^{commit}`,
      ]);
      return out.trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /** A file's content at a commit, or undefined when the commit has no such file. */
  async readFile(projectId: number, sha: string, file: string): Promise<string | undefined> {
    if (!/^[0-9a-f]{40}$/.test(sha)) return undefined;
    try {
      return await runGit(['--git-dir', this.pathOf(projectId), 'show', `${sha}:${file}`]);
    } catch {
      return undefined;
    }
  }

  /**
   * Gives a new, empty repository its first commit: one file on `branch`, by `author`. Made with a
   * throw-away index and work tree, so the bare repository never gets one. Refuses (false) when the
   * branch already has a commit.
   */
  async commitFirstFile(
    projectId: number,
    branch: string,
    file: { name: string; content: string; message: string },
    author: { name: string; email: string },
  ): Promise<boolean> {
    const gitDir = await this.ensure(projectId, branch);
    if (await this.commitOf(projectId, `refs/heads/${branch}`)) return false;
    const work = mkdtempSync(join(tmpdir(), 'tessera-first-commit-'));
    try {
      writeFileSync(join(work, file.name), file.content);
      const env = {
        GIT_DIR: gitDir,
        GIT_WORK_TREE: work,
        GIT_INDEX_FILE: join(work, '.tessera-index'),
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_COMMITTER_NAME: author.name,
        GIT_COMMITTER_EMAIL: author.email,
      };
      await runGit(['add', '--', file.name], { cwd: work, env });
      const tree = (await runGit(['write-tree'], { env })).trim();
      const commit = (await runGit(['commit-tree', tree, '-m', file.message], { env })).trim();
      // Only where nothing is yet: a push racing this one keeps its commit.
      await runGit(['update-ref', `refs/heads/${branch}`, commit, ZERO_SHA], { env });
      return true;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
}
