import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobResult, JobSpec } from './job-spec.ts';

/** Where the executor writes a job's output, already in order (stdout and stderr interleaved). */
export type OutputSink = (text: string) => void;

export interface ExecuteOptions {
  /** Parent directory of each job's fresh working directory. */
  buildsDir: string;
  output: OutputSink;
  /** Aborted when the server says the job is no longer running: the script is killed. */
  signal: AbortSignal;
}

/** Quotes a string for bash: single quotes, with embedded single quotes spliced in. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The bash script of a job: stop at the first failing line, echo each line as `$ line` before running
 * it (as the platform's shell executor does), clone the repository with the job token first.
 */
export function jobScript(job: JobSpec, checkoutDir: string): string {
  const lines = job.steps.flatMap((step) => step.script);
  return [
    'set -eo pipefail',
    `echo ${shellQuote(`Fetching changes with git depth set to 20...`)}`,
    `git -c init.defaultBranch=main clone --quiet --no-checkout "$CI_REPOSITORY_URL" ${shellQuote(checkoutDir)}`,
    `cd ${shellQuote(checkoutDir)}`,
    `git -c advice.detachedHead=false checkout --quiet --force "$CI_COMMIT_SHA"`,
    `echo ${shellQuote(`Checking out ${job.git_info.sha.slice(0, 8)} as ${job.git_info.ref}...`)}`,
    ...lines.flatMap((line) => [`printf '%s\\n' ${shellQuote(`$ ${line}`)}`, line]),
    '',
  ].join('\n');
}

/**
 * Runs a job with bash in a fresh working directory: the repository cloned with the job token, the
 * job's variables (and nothing of the runner's own environment but `PATH`) in the environment, a `file`
 * variable as the path of a file holding its value. Kills
 * the whole process group on timeout or abort; removes the directory afterwards.
 */
export async function executeJob(job: JobSpec, options: ExecuteOptions): Promise<JobResult> {
  mkdirSync(options.buildsDir, { recursive: true });
  const workDir = mkdtempSync(join(options.buildsDir, `job-${job.id}-`));
  try {
    const scriptFile = join(workDir, 'script.sh');
    writeFileSync(scriptFile, jobScript(job, join(workDir, 'build')), { mode: 0o700 });
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: workDir,
      LANG: 'C.UTF-8',
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
    };
    const filesDir = join(workDir, 'variables');
    mkdirSync(filesDir, { mode: 0o700 });
    for (const variable of job.variables) {
      if (variable.file) {
        // As the platform's runner does: the content goes to a file outside the checkout, readable only
        // by the job, and the variable holds the file's path.
        // Keys are `[A-Za-z0-9_]+` on the server; anything else must not become a path here.
        const path = join(filesDir, variable.key.replace(/[^A-Za-z0-9_]/g, '_'));
        writeFileSync(path, variable.value, { mode: 0o600 });
        env[variable.key] = path;
      } else {
        env[variable.key] = variable.value;
      }
    }
    return await run(scriptFile, workDir, env, job.runner_info.timeout, options);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

function run(
  scriptFile: string,
  cwd: string,
  env: Record<string, string>,
  timeoutSeconds: number,
  options: ExecuteOptions,
): Promise<JobResult> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['--noprofile', '--norc', scriptFile], {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let ending: 'timeout' | 'aborted' | undefined;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => {
      ending ??= 'timeout';
      killGroup();
    }, timeoutSeconds * 1000);
    const onAbort = () => {
      ending ??= 'aborted';
      killGroup();
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8').on('data', options.output);
    child.stderr.setEncoding('utf8').on('data', options.output);
    child.on('error', (error) => {
      options.output(`ERROR: could not start bash: ${error.message}\n`);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      if (ending === 'aborted') return resolve({ state: 'aborted' });
      if (ending === 'timeout') {
        options.output(`\nERROR: Job failed: execution took longer than ${timeoutSeconds} seconds\n`);
        return resolve({ state: 'failed', failureReason: 'job_execution_timeout', exitCode: null });
      }
      if (code === 0) {
        options.output('\nJob succeeded\n');
        return resolve({ state: 'success', exitCode: 0 });
      }
      options.output(`\nERROR: Job failed: exit code ${code ?? 'unknown'}\n`);
      resolve({ state: 'failed', failureReason: 'script_failure', exitCode: code });
    });
  });
}
