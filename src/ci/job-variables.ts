import type { Executor } from '../store/database.ts';
import type { Job, Pipeline } from '../store/ci-schema.ts';
import type { Project, User } from '../store/schema.ts';
import { registry } from '../util/registry.ts';
import type { JobEnvironment } from './pipeline-config.ts';

/** A CI variable in the runner payload's shape. `masked` values are hidden in the job log. */
export interface Variable {
  key: string;
  value: string;
  public: boolean;
  masked: boolean;
  /** A `file` variable: the runner writes the value to a file and exports the file's path. */
  file?: boolean;
  /** Not expanded by the runner. */
  raw?: boolean;
}

/** What a variable provider knows about the job it is asked for. */
export interface JobVariableContext {
  db: Executor;
  project: Project;
  pipeline: Pipeline;
  job: Job;
  /** The triggering user. */
  user: User;
  /** The job's environment, when it deploys to one. */
  environment: JobEnvironment | undefined;
}

/** Adds variables to every job as it starts (after the predefined ones, before the ID tokens). */
export type JobVariableProvider = (context: JobVariableContext) => Promise<Variable[]>;

const providers = registry<JobVariableProvider>();

/**
 * Lets another credential module hand variables to CI jobs, e.g. deploy tokens adding
 * `CI_DEPLOY_USER` / `CI_DEPLOY_PASSWORD`. Returns a function that removes the provider again.
 *
 * @example
 * registerJobVariableProvider(async ({ db, project, environment }) =>
 *   environment ? [{ key: 'CI_DEPLOY_USER', value: 'gitlab+deploy-token-1', public: false, masked: false }] : []);
 */
export function registerJobVariableProvider(provider: JobVariableProvider): () => void {
  return providers.add(provider);
}

/** Every registered provider's variables for one job, in registration order. */
export async function providedVariables(context: JobVariableContext): Promise<Variable[]> {
  const lists = await Promise.all(providers.entries().map((provide) => provide(context)));
  return lists.flat();
}

export const publicVariable = (key: string, value: string | number): Variable => ({
  key,
  value: String(value),
  public: true,
  masked: false,
});

export const maskedVariable = (key: string, value: string): Variable => ({
  key,
  value,
  public: false,
  masked: true,
});
