/** The fields of a job payload (`POST /jobs/request`) that the shell executor uses. */
export interface JobSpec {
  id: number;
  token: string;
  job_info: { name: string; stage: string; project_id: number };
  git_info: { repo_url: string; ref: string; sha: string };
  runner_info: { timeout: number };
  variables: Array<{ key: string; value: string; public: boolean; masked: boolean; file?: boolean }>;
  steps: Array<{ name: string; script: string[]; timeout?: number }>;
}

/** How a job ended on the runner. */
export type JobResult =
  | { state: 'success'; exitCode: 0 }
  | {
      state: 'failed';
      failureReason: 'script_failure' | 'job_execution_timeout' | 'runner_system_failure';
      exitCode: number | null;
    }
  /** The server said the job is no longer running (canceled): nothing is reported back. */
  | { state: 'aborted' };

/**
 * Values that must never appear in the job log: masked variables and the job token itself, each as
 * it is and in the forms a script commonly prints it — URL-encoded (as the platform's runner also
 * masks it) and, beyond that, base64 in both alphabets.
 */
export function secretsOf(job: JobSpec): string[] {
  const values = [job.token, ...job.variables.filter((v) => v.masked).map((v) => v.value)].filter(
    (v) => v.length >= 8,
  );
  return [...new Set(values.flatMap(encodedForms))];
}

function encodedForms(value: string): string[] {
  const base64 = Buffer.from(value, 'utf8').toString('base64');
  return [
    value,
    encodeURIComponent(value),
    encodeURIComponent(value).replace(/%20/g, '+'),
    base64,
    base64.replace(/=+$/, ''),
    Buffer.from(value, 'utf8').toString('base64url'),
  ];
}
