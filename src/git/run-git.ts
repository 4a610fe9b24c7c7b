import { execFile } from 'node:child_process';

/** Where Debian's git keeps its helper programs (`git-http-backend`). */
export const GIT_EXEC_PATH = '/usr/lib/git-core';

/**
 * The environment git runs with: nothing of ours (no TESSERA_* secret), no user or system config that
 * could change its behaviour, and a fixed identity for anything it might write.
 */
export function gitEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: '/nonexistent',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    LANG: 'C',
    ...extra,
  };
}

/** Runs `git` with arguments (never through a shell); resolves its stdout, rejects with its stderr. */
export function runGit(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...args],
      { cwd: options.cwd, env: gitEnvironment(options.env), maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`git ${args[0]} failed: ${stderr.trim() || error.message}`));
        else resolve(stdout);
      },
    );
  });
}
