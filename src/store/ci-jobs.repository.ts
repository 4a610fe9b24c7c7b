import { sql, type Insertable, type Updateable } from 'kysely';
import type { CiJobsTable, Job, JobStatus, JobSummary } from './ci-schema.ts';
import type { Executor } from './database.ts';
import { aliasedColumns } from './aliased-columns.ts';
import { preparedQuery } from './prepared-query.ts';
import type { User } from './schema.ts';

export async function insertJob(db: Executor, job: Insertable<CiJobsTable>): Promise<Job> {
  return db.insertInto('ci_jobs').values(job).returningAll().executeTakeFirstOrThrow();
}

export async function findJobById(db: Executor, id: number): Promise<Job | undefined> {
  return db.selectFrom('ci_jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The job when it belongs to the project. */
export async function findProjectJob(db: Executor, projectId: number, id: number): Promise<Job | undefined> {
  return db
    .selectFrom('ci_jobs')
    .selectAll()
    .where('id', '=', id)
    .where('project_id', '=', projectId)
    .executeTakeFirst();
}

/** The job whose token digests to `digest`, whatever its state. */
export async function findJobByTokenDigest(db: Executor, digest: string): Promise<Job | undefined> {
  return db.selectFrom('ci_jobs').selectAll().where('token_digest', '=', digest).executeTakeFirst();
}

const JOB_COLUMNS = [
  'id',
  'pipeline_id',
  'project_id',
  'name',
  'stage',
  'stage_idx',
  'status',
  'failure_reason',
  'user_id',
  'runner_id',
  'tag_list',
  'timeout_seconds',
  'token_digest',
  'created_at',
  'queued_at',
  'started_at',
  'finished_at',
] as const satisfies readonly (keyof JobSummary)[];

/**
 * The job whose token digests to `digest` together with the user it acts as, in one query: job-token
 * authentication cannot be cached (the job's state decides on every request), so it is kept to one
 * round trip, without the job's log and definition. Jobs without a user (deleted) are not found.
 */
export async function findJobAndUserByTokenDigest(
  db: Executor,
  digest: string,
): Promise<{ job: JobSummary; user: User } | undefined> {
  const [row] = await jobAndUserByDigest(db, digest);
  if (!row) return undefined;
  const { aliased, rest } = JOB_FIELDS.split(row);
  return { job: aliased as JobSummary, user: rest as User };
}

const JOB_FIELDS = aliasedColumns('ci_jobs', 'job__', JOB_COLUMNS);

const jobAndUserByDigest = preparedQuery((db: Executor, digest: string) =>
  db
    .selectFrom('ci_jobs')
    .innerJoin('users', 'users.id', 'ci_jobs.user_id')
    .selectAll('users')
    .select(JOB_FIELDS.select)
    .where('ci_jobs.token_digest', '=', digest),
);

export async function listPipelineJobs(db: Executor, pipelineId: number): Promise<Job[]> {
  return db
    .selectFrom('ci_jobs')
    .selectAll()
    .where('pipeline_id', '=', pipelineId)
    .orderBy('stage_idx')
    .orderBy('id')
    .execute();
}

export interface JobFilter {
  projectId: number;
  pipelineId?: number;
  statuses?: readonly JobStatus[];
}

function filtered(db: Executor, filter: JobFilter) {
  let query = db.selectFrom('ci_jobs').where('project_id', '=', filter.projectId);
  if (filter.pipelineId !== undefined) query = query.where('pipeline_id', '=', filter.pipelineId);
  if (filter.statuses !== undefined && filter.statuses.length > 0) {
    query = query.where('status', 'in', [...filter.statuses]);
  }
  return query;
}

/** One page of the project's jobs, newest first. */
export async function listJobs(
  db: Executor,
  filter: JobFilter,
  page: { limit: number; offset: number },
): Promise<Job[]> {
  return filtered(db, filter)
    .selectAll()
    .orderBy('id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
}

export async function countJobs(db: Executor, filter: JobFilter): Promise<number> {
  const row = await filtered(db, filter)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Pending jobs, oldest first: what a runner asking for work may be given. */
export async function listPendingJobs(db: Executor, limit: number): Promise<Job[]> {
  return db
    .selectFrom('ci_jobs')
    .selectAll()
    .where('status', '=', 'pending')
    .orderBy('id')
    .limit(limit)
    .execute();
}

export async function listRunningJobs(db: Executor): Promise<Job[]> {
  return db.selectFrom('ci_jobs').selectAll().where('status', '=', 'running').execute();
}

/** The jobs one runner is running now. */
export async function listRunningJobsOfRunner(db: Executor, runnerId: number): Promise<Job[]> {
  return db
    .selectFrom('ci_jobs')
    .selectAll()
    .where('status', '=', 'running')
    .where('runner_id', '=', runnerId)
    .execute();
}

/**
 * Changes a job only while it is in one of `from`: the compare-and-set that lets two runners race for
 * one pending job, or a cancel race a finishing runner, with exactly one winner. Undefined for the loser.
 */
export async function transitionJob(
  db: Executor,
  id: number,
  from: readonly JobStatus[],
  changes: Updateable<CiJobsTable>,
): Promise<Job | undefined> {
  return db
    .updateTable('ci_jobs')
    .set(changes)
    .where('id', '=', id)
    .where('status', 'in', [...from])
    .returningAll()
    .executeTakeFirst();
}

/** Appends to the job's log when it is `expectedLength` long; returns the new length, or undefined on a mismatch. */
export async function appendJobTrace(
  db: Executor,
  id: number,
  expectedLength: number,
  chunk: string,
): Promise<number | undefined> {
  const row = await db
    .updateTable('ci_jobs')
    .set({ trace: sql<string>`trace || ${chunk}` })
    .where('id', '=', id)
    .where(sql<number>`length(trace)`, '=', expectedLength)
    .returning(sql<number>`length(trace)`.as('length'))
    .executeTakeFirst();
  return row ? Number(row.length) : undefined;
}
