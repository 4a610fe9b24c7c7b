/** The verdict on a command the service asked for. */
export type CommandVerdict = { allowed: true; gitArguments: string[] } | { allowed: false; reason: string };

/*
 * Read-only git subcommands and, for each, the options it may take. Options are listed rather than
 * forbidden because several harmless-looking ones run programs or write files (`git grep -O<cmd>`,
 * `git log --output=<file>`, `--ext-diff`, `--textconv`). Arguments after `--` (and the pattern
 * after `-e`) are positional: pathspecs, patterns, revisions.
 */
const GIT_OPTIONS: Record<string, readonly (string | RegExp)[]> = {
  'ls-files': [
    '-z',
    '-c',
    '--cached',
    '-o',
    '--others',
    '--exclude-standard',
    '-m',
    '--modified',
    '-d',
    '--deleted',
  ],
  grep: [
    '-n',
    '--line-number',
    '-i',
    '--ignore-case',
    '-l',
    '--files-with-matches',
    '-w',
    '--word-regexp',
    '-F',
    '--fixed-strings',
    '-E',
    '--extended-regexp',
    '-c',
    '--count',
    '-I',
    '--cached',
    '-e',
  ],
  status: ['-s', '--short', '--porcelain', '-b', '--branch', '-uno', '--untracked-files=no'],
  log: ['--oneline', '--no-merges', '--stat', /^-\d{1,4}$/, /^--max-count=\d{1,4}$/, /^-n\d{1,4}$/],
};

const ALLOWED = 'git ls-files, git grep, git status, git log';

/**
 * Decides whether the executor runs a `run_command` action: only the read-only git subcommands of
 * {@link GIT_OPTIONS} with listed options. Everything else — `npm test` included, since a test
 * suite is repository code that would run next to the workflow's tokens — is refused with a reason
 * the executor reports as a failed step.
 *
 * @example
 * ```ts
 * checkCommand('git', ['grep', '-n', '--', 'login']); // { allowed: true, gitArguments: [...] }
 * checkCommand('bash', ['-c', 'curl …']);             // { allowed: false, reason: '…' }
 * ```
 */
export function checkCommand(command: string, args: readonly string[]): CommandVerdict {
  const shown = [command, ...args].join(' ').slice(0, 80);
  if (command !== 'git') {
    return {
      allowed: false,
      reason: `refused: "${shown}" is not allowed; the executor runs only ${ALLOWED}`,
    };
  }
  const [subcommand = '', ...rest] = args;
  const options = GIT_OPTIONS[subcommand];
  if (options === undefined) {
    return {
      allowed: false,
      reason: `refused: "${shown}" is not allowed; the executor runs only ${ALLOWED}`,
    };
  }
  let positional = false;
  for (let i = 0; i < rest.length; i += 1) {
    const arg = rest[i]!;
    if (positional || !arg.startsWith('-')) continue;
    if (arg === '--') {
      positional = true;
      continue;
    }
    if (!options.some((option) => (typeof option === 'string' ? option === arg : option.test(arg)))) {
      return {
        allowed: false,
        reason: `refused: option ${arg.slice(0, 40)} of git ${subcommand} is not allowed`,
      };
    }
    if (arg === '-e') i += 1; // its pattern may start with "-"
  }
  return { allowed: true, gitArguments: [...args] };
}
