import { sql, type Insertable, type Updateable } from 'kysely';
import type { CiPipelinesTable, Pipeline, PipelineStatus, Runner } from './ci-schema.ts';
import type { Executor } from './database.ts';
import { preparedQuery } from './prepared-query.ts';

export async function insertPipeline(
  db: Executor,
  pipeline: Insertable<CiPipelinesTable>,
): Promise<Pipeline> {
  return db.insertInto('ci_pipelines').values(pipeline).returningAll().executeTakeFirstOrThrow();
}

export async function findPipelineById(db: Executor, id: number): Promise<Pipeline | undefined> {
  return db.selectFrom('ci_pipelines').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The pipeline when it belongs to the project (a URL's two ids must agree). */
export async function findProjectPipeline(
  db: Executor,
  projectId: number,
  id: number,
): Promise<Pipeline | undefined> {
  return db
    .selectFrom('ci_pipelines')
    .selectAll()
    .where('id', '=', id)
    .where('project_id', '=', projectId)
    .executeTakeFirst();
}

export interface PipelineFilter {
  projectId: number;
  status?: PipelineStatus;
  ref?: string;
  source?: string;
}

function filtered(db: Executor, filter: PipelineFilter) {
  let query = db.selectFrom('ci_pipelines').where('project_id', '=', filter.projectId);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.ref !== undefined) query = query.where('ref', '=', filter.ref);
  if (filter.source !== undefined) query = query.where('source', '=', filter.source as Pipeline['source']);
  return query;
}

/** One page of the project's pipelines, newest first. */
export async function listPipelines(
  db: Executor,
  filter: PipelineFilter,
  page: { limit: number; offset: number },
): Promise<Pipeline[]> {
  return filtered(db, filter)
    .selectAll()
    .orderBy('id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
}

export async function countPipelines(db: Executor, filter: PipelineFilter): Promise<number> {
  const row = await filtered(db, filter)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updatePipeline(
  db: Executor,
  id: number,
  changes: Updateable<CiPipelinesTable>,
): Promise<Pipeline | undefined> {
  return db.updateTable('ci_pipelines').set(changes).where('id', '=', id).returningAll().executeTakeFirst();
}

const RUNNER_COLUMNS = [
  'id',
  'runner_type',
  'project_id',
  'description',
  'token_digest',
  'environment',
  'tag_list',
  'run_untagged',
  'paused',
  'created_by_id',
  'created_at',
  'contacted_at',
] as const satisfies readonly (keyof Runner)[];

/** What a job's API view needs besides the job, read in one query (`GET /job` is on every job's path). */
export interface JobContext {
  pipeline: Pipeline;
  projectFullPath: string;
  /** null: the project never changed its CI settings (the default applies). */
  jobTokenInboundEnabled: number | null;
  runner: Runner | undefined;
}

export async function findJobContext(
  db: Executor,
  pipelineId: number,
  runnerId: number | null,
): Promise<JobContext | undefined> {
  const [row] = await jobContext(db, runnerId ?? -1, pipelineId);
  if (!row) return undefined;
  const pipeline: Record<string, unknown> = {};
  const runner: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (key.startsWith('runner__')) runner[key.slice('runner__'.length)] = value;
    else if (!key.includes('__')) pipeline[key] = value;
  }
  return {
    pipeline: pipeline as Pipeline,
    projectFullPath: row.project__full_path,
    jobTokenInboundEnabled: row.settings__inbound,
    runner: runner.id === null || runner.id === undefined ? undefined : (runner as Runner),
  };
}

const jobContext = preparedQuery((db: Executor, runnerId: number, pipelineId: number) =>
  db
    .selectFrom('ci_pipelines')
    .innerJoin('projects', 'projects.id', 'ci_pipelines.project_id')
    .leftJoin('ci_project_settings', 'ci_project_settings.project_id', 'ci_pipelines.project_id')
    .leftJoin('ci_runners', (join) => join.on('ci_runners.id', '=', runnerId))
    .selectAll('ci_pipelines')
    .select([
      'projects.full_path as project__full_path',
      'ci_project_settings.job_token_inbound_enabled as settings__inbound',
    ])
    .select(RUNNER_COLUMNS.map((column) => sql.ref(`ci_runners.${column}`).as(`runner__${column}`)))
    .where('ci_pipelines.id', '=', pipelineId),
);
