import type { FastifyInstance } from 'fastify';
import { ciDeps } from '../../ci/ci-deps.ts';
import { cancelJob } from '../../ci/finish-job.ts';
import { notFound, unauthorized } from '../../errors/tessera-error.ts';
import { canReadRepository, canWriteRepository } from '../../identity/permissions.ts';
import { authorizeProject } from '../../identity/resource-access.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import type { JobStatus } from '../../store/ci-schema.ts';
import { countJobs, findJobById, findProjectJob, listJobs } from '../../store/ci-jobs.repository.ts';
import { authenticatedJob } from '../../tokens/job/job-token.authenticator.ts';
import { apiQuery, requiredInteger } from '../api-params.ts';
import { actorOf, requireScope, WRITE_API } from '../authenticate.ts';
import { optionalReader } from '../optional-reader.ts';
import { pageRequest, sendPage } from '../pagination.ts';
import { PAGINATION, parameters, NO_PARAMETERS } from '../route-parameters.ts';
import { jobView } from './ci-job-view.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { exempt, requires } from '../route-permission.ts';

const STATUSES: readonly JobStatus[] = [
  'created',
  'pending',
  'running',
  'success',
  'failed',
  'canceled',
  'skipped',
];

type Params = { id: string; job_id: string };

/** `/api/v4/projects/:id/jobs[/:job_id[/trace|/cancel]]` and `GET /api/v4/job` (the job of a job token). */
export async function jobsRoutes(app: FastifyInstance, options: { context: InstanceContext }): Promise<void> {
  const deps = ciDeps(options.context);
  const { db } = deps;
  const url = deps.settings.externalUrl;

  app.get(
    '/api/v4/job',
    {
      config: {
        jobToken: 'self',
        ...exempt('a CI job token asks about its own job; no other credential is answered'),
      },
    },
    async (request) => {
      const principal = request.principal;
      if (principal?.credential.kind !== 'ci_job_token') throw unauthorized();
      const job = authenticatedJob(principal) ?? (await findJobById(db, Number(principal.credential.id)));
      if (!job) throw unauthorized();
      return jobView(db, job, url, { user: principal.user, recent: true });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v4/projects/:id/jobs',
    {
      config: requires(PERMISSIONS.readJob),
      schema: parameters(
        {
          ...PAGINATION,
          scope: {
            type: 'array',
            items: 'string',
            enum: STATUSES,
            description: 'Only jobs with these statuses',
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
      const query = apiQuery(request);
      const raw = query.scope ?? query['scope[]'];
      const statuses = (Array.isArray(raw) ? raw : raw ? [raw] : []).filter((s): s is JobStatus =>
        (STATUSES as readonly unknown[]).includes(s),
      );
      const filter = { projectId: project.id, statuses };
      const page = pageRequest(request);
      const [jobs, total] = await Promise.all([listJobs(db, filter, page), countJobs(db, filter)]);
      return sendPage(
        request,
        reply,
        url,
        page,
        total,
        await Promise.all(jobs.map((job) => jobView(db, job, url))),
      );
    },
  );

  const readableJob = async (request: Parameters<typeof optionalReader>[0], params: Params) => {
    const { project } = await authorizeProject(db, optionalReader(request), params.id, canReadRepository);
    const job = await findProjectJob(db, project.id, requiredInteger(params, 'job_id'));
    if (!job) throw notFound('Job');
    return job;
  };

  app.get<{ Params: Params }>(
    '/api/v4/projects/:id/jobs/:job_id',
    { config: requires(PERMISSIONS.readJob) },
    async (request) => jobView(db, await readableJob(request, request.params), url),
  );

  app.get<{ Params: Params }>(
    '/api/v4/projects/:id/jobs/:job_id/trace',
    { config: requires(PERMISSIONS.readJob) },
    async (request, reply) => {
      const job = await readableJob(request, request.params);
      return reply.type('text/plain; charset=utf-8').send(job.trace);
    },
  );

  app.post<{ Params: Params }>(
    '/api/v4/projects/:id/jobs/:job_id/cancel',
    { config: requires(PERMISSIONS.updateJob), schema: NO_PARAMETERS },
    async (request) => {
      const principal = requireScope(request, WRITE_API);
      const { project } = await authorizeProject(db, principal.user, request.params.id, canWriteRepository);
      const job = await findProjectJob(db, project.id, requiredInteger(request.params, 'job_id'));
      if (!job) throw notFound('Job');
      await cancelJob(deps, job, actorOf(request));
      return jobView(db, (await findJobById(db, job.id))!, url);
    },
  );
}
