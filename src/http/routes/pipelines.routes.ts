import type { FastifyInstance } from 'fastify';
import { ciDeps } from '../../ci/ci-deps.ts';
import { cancelPipelineJobs } from '../../ci/finish-job.ts';
import { runPipeline } from '../../ci/run-pipeline.service.ts';
import { notFound } from '../../errors/tessera-error.ts';
import { canReadRepository, canWriteRepository } from '../../identity/permissions.ts';
import { authorizeProject } from '../../identity/resource-access.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import type { PipelineStatus } from '../../store/ci-schema.ts';
import { listPipelineJobs } from '../../store/ci-jobs.repository.ts';
import { countPipelines, findProjectPipeline, listPipelines } from '../../store/ci-pipelines.repository.ts';
import { findUserById } from '../../store/users.repository.ts';
import { apiParams, optionalChoice, optionalString, requiredInteger, requiredString } from '../api-params.ts';
import { actingUserOf, actorOf, requireScope, WRITE_API } from '../authenticate.ts';
import { optionalReader } from '../optional-reader.ts';
import { pageRequest, sendArrayPage, sendPage } from '../pagination.ts';
import { presentPipeline, presentPipelineBasic } from '../presenters/ci.presenter.ts';
import { jobView } from './ci-job-view.ts';
import { PAGINATION, parameters, NO_PARAMETERS } from '../route-parameters.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

const STATUSES: readonly PipelineStatus[] = [
  'created',
  'pending',
  'running',
  'success',
  'failed',
  'canceled',
  'skipped',
];

type Params = { id: string; pipeline_id: string };

/** `/api/v4/projects/:id/pipeline[s]`: list, show, run, cancel, and a pipeline's jobs. */
export async function pipelinesRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const deps = ciDeps(options.context);
  const { db } = deps;
  const url = deps.settings.externalUrl;

  const readablePipeline = async (reader: Parameters<typeof authorizeProject>[1], params: Params) => {
    const { project } = await authorizeProject(db, reader, params.id, canReadRepository);
    const pipeline = await findProjectPipeline(db, project.id, requiredInteger(params, 'pipeline_id'));
    if (!pipeline) throw notFound('Pipeline');
    return { project, pipeline };
  };

  app.get<{ Params: { id: string } }>(
    '/api/v4/projects/:id/pipelines',
    {
      config: requires(PERMISSIONS.readPipeline),
      schema: parameters(
        {
          ...PAGINATION,
          status: { type: 'string', enum: STATUSES, description: 'Only pipelines with this status' },
          ref: { type: 'string', description: 'Only pipelines of this branch or tag' },
          source: {
            type: 'string',
            description: 'Only pipelines started this way (push, web, trigger, api, ...)',
          },
        },
        { in: 'query' },
      ),
    },
    async (request, reply) => {
      const { project } = await authorizeProject(
        db,
        optionalReader(request),
        request.params.id,
        canReadRepository,
      );
      const params = apiParams(request);
      const filter = {
        projectId: project.id,
        status: optionalChoice(params, 'status', STATUSES),
        ref: optionalString(params, 'ref') || undefined,
        source: optionalString(params, 'source') || undefined,
      };
      const page = pageRequest(request);
      const [pipelines, total] = await Promise.all([
        listPipelines(db, filter, page),
        countPipelines(db, filter),
      ]);
      return sendPage(
        request,
        reply,
        url,
        page,
        total,
        pipelines.map((p) => presentPipelineBasic(p, project, url)),
      );
    },
  );

  app.get<{ Params: Params }>(
    '/api/v4/projects/:id/pipelines/:pipeline_id',
    { config: { jobToken: 'project', ...requires(PERMISSIONS.readPipeline) } },
    async (request) => {
      const { project, pipeline } = await readablePipeline(optionalReader(request), request.params);
      const user = pipeline.user_id === null ? undefined : await findUserById(db, pipeline.user_id);
      return presentPipeline(pipeline, project, user, url);
    },
  );

  app.get<{ Params: Params }>(
    '/api/v4/projects/:id/pipelines/:pipeline_id/jobs',
    { config: requires(PERMISSIONS.readPipeline), schema: parameters(PAGINATION, { in: 'query' }) },
    async (request, reply) => {
      const { pipeline } = await readablePipeline(optionalReader(request), request.params);
      const jobs = await listPipelineJobs(db, pipeline.id);
      return sendArrayPage(request, reply, url, await Promise.all(jobs.map((job) => jobView(db, job, url))));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v4/projects/:id/pipeline',
    {
      config: requires(PERMISSIONS.createPipeline),
      schema: parameters(
        {
          ref: { type: 'string', required: true, description: 'Branch or tag to run the pipeline on' },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const principal = requireScope(request, WRITE_API);
      const ref = requiredString(apiParams(request), 'ref');
      const source = principal.credential.kind === 'session' ? 'web' : 'api';
      const pipeline = await runPipeline(
        deps,
        actingUserOf(request, principal),
        request.params.id,
        ref,
        source,
      );
      const project = {
        full_path: (await authorizeProject(db, principal.user, request.params.id)).project.full_path,
      };
      return reply.status(201).send(presentPipeline(pipeline, project, principal.user, url));
    },
  );

  app.post<{ Params: Params }>(
    '/api/v4/projects/:id/pipelines/:pipeline_id/cancel',
    { config: requires(PERMISSIONS.updatePipeline), schema: NO_PARAMETERS },
    async (request) => {
      const principal = requireScope(request, WRITE_API);
      const { project } = await authorizeProject(db, principal.user, request.params.id, canWriteRepository);
      const found = await findProjectPipeline(db, project.id, requiredInteger(request.params, 'pipeline_id'));
      if (!found) throw notFound('Pipeline');
      await cancelPipelineJobs(deps, found.id, actorOf(request));
      const pipeline = (await findProjectPipeline(db, project.id, found.id))!;
      return presentPipeline(pipeline, project, principal.user, url);
    },
  );
}
