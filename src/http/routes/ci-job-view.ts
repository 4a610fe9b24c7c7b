import type { JobSummary } from '../../store/ci-schema.ts';
import { findJobContext, type JobContext } from '../../store/ci-pipelines.repository.ts';
import type { Executor } from '../../store/database.ts';
import type { User } from '../../store/schema.ts';
import { findUserById } from '../../store/users.repository.ts';
import { presentJob } from '../presenters/ci.presenter.ts';

/** How long `GET /job` may show a job's pipeline, project and runner as read a moment ago. */
const CONTEXT_TTL_MS = 2000;
const CONTEXT_ENTRIES = 1000;

/**
 * The pipeline/project/runner part of a running job's view, kept briefly per store: a job script may
 * call `GET /job` in a loop, and while the job runs that part barely changes. Only the view is cached;
 * whether the token is valid is read from the store on every request.
 */
const recentContexts = new WeakMap<object, Map<string, { context: JobContext; at: number }>>();

async function contextOf(db: Executor, job: JobSummary, cached: boolean): Promise<JobContext | undefined> {
  if (!cached) return findJobContext(db, job.pipeline_id, job.runner_id);
  let entries = recentContexts.get(db);
  if (!entries) recentContexts.set(db, (entries = new Map()));
  const key = `${job.pipeline_id}:${job.runner_id ?? ''}`;
  const hit = entries.get(key);
  if (hit && Date.now() - hit.at < CONTEXT_TTL_MS) return hit.context;
  const context = await findJobContext(db, job.pipeline_id, job.runner_id);
  if (context) {
    if (entries.size >= CONTEXT_ENTRIES) entries.delete(entries.keys().next().value!);
    entries.set(key, { context, at: Date.now() });
  }
  return context;
}

/**
 * A job as the API shows it, with its pipeline, project, runner (one query) and user looked up. `user`
 * may be passed when known (the principal of a job token is the job's user); `recent` accepts a
 * pipeline/project/runner view up to two seconds old (for `GET /job`).
 */
export async function jobView(
  db: Executor,
  job: JobSummary,
  externalUrl: string,
  known: { user?: User; recent?: boolean } = {},
) {
  const [context, user] = await Promise.all([
    contextOf(db, job, known.recent === true),
    known.user?.id === job.user_id
      ? known.user
      : job.user_id === null
        ? undefined
        : findUserById(db, job.user_id),
  ]);
  if (!context) throw new Error(`job ${job.id} lost its pipeline or project`);
  return presentJob(
    job,
    {
      pipeline: context.pipeline,
      project: { full_path: context.projectFullPath },
      user,
      runner: context.runner,
      // No settings row: the default, which limits job tokens to the allowlist.
      jobTokenScopeEnabled: context.jobTokenInboundEnabled !== 0,
    },
    externalUrl,
  );
}
