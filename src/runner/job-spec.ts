/** The fields of a job payload (`POST /jobs/request`) that the shell executor uses. */
export interface JobSpec {
  id: number;
  token: string;
  job_info: { name: string; stage: string; project_id: number };
  git_info: { repo_url: string; ref: string; sha: string };
  runner_info: { timeout: number };
  variables: Array<{ key: string; value: string; public: boolean; masked: boolean }>;
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

/** Values that must never appear in the job log: masked variables, and the job token itself. */
export function secretsOf(job: JobSpec): string[] {
  return [job.token, ...job.variables.filter((v) => v.masked).map((v) => v.value)].filter(
    (v) => v.length >= 8,
  );
}
