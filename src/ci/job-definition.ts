import type { Job } from '../store/ci-schema.ts';
import type { JobDefinition, JobEnvironment } from './pipeline-config.ts';

/** The part of a job's configuration kept with the job, to build its payload when a runner takes it. */
export interface StoredJobDefinition {
  script: string[];
  environment?: JobEnvironment;
  id_tokens: Record<string, { aud: string[] }>;
  /** Global and job variables from `.gitlab-ci.yml`, the job's winning. */
  variables: Record<string, string>;
}

export function storedDefinition(
  job: JobDefinition,
  globalVariables: Record<string, string>,
): StoredJobDefinition {
  return {
    script: job.script,
    ...(job.environment ? { environment: job.environment } : {}),
    id_tokens: job.id_tokens,
    variables: { ...globalVariables, ...job.variables },
  };
}

export function definitionOf(job: Pick<Job, 'definition'>): StoredJobDefinition {
  return JSON.parse(job.definition) as StoredJobDefinition;
}

export function tagsOf(job: Pick<Job, 'tag_list'>): string[] {
  const parsed: unknown = JSON.parse(job.tag_list);
  return Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === 'string') : [];
}
