import type { FastifyInstance, FastifyReply } from 'fastify';
import { ciDeps } from '../../ci/ci-deps.ts';
import { pickJob } from '../../ci/pick-job.ts';
import { appendTrace, completeJob, reportingJob } from '../../ci/report-job.service.ts';
import { unregisterRunner } from '../../ci/runner-admin.service.ts';
import { authenticateRunner } from '../../ci/runner.service.ts';
import type { JobOutcome } from '../../ci/finish-job.ts';
import { forbidden } from '../../errors/tessera-error.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import type { Job } from '../../store/ci-schema.ts';
import { apiParams, optionalString, requiredInteger } from '../api-params.ts';
import { parameters } from '../route-parameters.ts';
import { exempt } from '../route-permission.ts';

/** How often a waiting request looks again for jobs made pending by another replica. */
const RECHECK_MS = 1000;

/**
 * The runner API: `POST /jobs/request` (long poll for work), `PATCH /jobs/:id/trace` (log chunks,
 * `JOB-TOKEN`), `PUT /jobs/:id` (final state, `token`), `POST /runners/verify`, `DELETE /runners`.
 * Runners authenticate with their `glrt-` token in the body, jobs with their job token.
 */
export async function runnerApiRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const deps = ciDeps(options.context);
  const longPollMs = options.context.settings.ci.runnerLongPollSeconds * 1000;
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
    deps.queue.notify();
  });

  app.post(
    '/api/v4/jobs/request',
    {
      config: exempt('the runner API: a runner’s authentication token or its job’s token is the credential'),
      schema: parameters(
        { token: { type: 'string', required: true, description: 'The runner authentication token' } },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const runner = await authenticateRunner(deps, apiParams(request).token);
      if (!runner) throw forbidden();
      const deadline = Date.now() + longPollMs;
      let gone = false;
      request.raw.once('close', () => {
        gone = true;
      });
      for (;;) {
        const payload = await pickJob(deps, runner);
        if (payload) return reply.status(201).send(payload);
        const remaining = deadline - Date.now();
        if (remaining <= 0 || closing || gone) return reply.status(204).send();
        await deps.queue.wait(Math.min(remaining, RECHECK_MS));
      }
    },
  );

  // The runner may send the job token as `JOB-TOKEN`, which makes these routes part of the job-token set.
  const reportRoute = {
    config: { jobToken: 'self' as const, ...exempt('the runner API: the job’s own token is the credential') },
    bodyLimit: 8 * 1024 * 1024,
  };
  const jobTokenParameter = {
    token: { type: 'string', description: 'The job token, when not sent as JOB-TOKEN' },
  } as const;

  app.patch<{ Params: { id: string } }>(
    '/api/v4/jobs/:id/trace',
    // The body is the log chunk itself; the job token may come in the query.
    { ...reportRoute, schema: parameters(jobTokenParameter, { in: 'query' }) },
    async (request, reply) => {
      const token = request.headers['job-token'] ?? apiParams(request).token;
      const job = await reportingJob(deps, requiredInteger(request.params, 'id'), token);
      if (!job) throw forbidden();
      if (job.status !== 'running') return notRunning(reply, job);
      const range = /^(\d+)-\d+$/.exec(String(request.headers['content-range'] ?? ''));
      const offset = range ? Number(range[1]) : job.trace.length;
      const chunk = typeof request.body === 'string' ? request.body : '';
      const length = await appendTrace(deps, job, offset, chunk);
      if (length === undefined) {
        return reply
          .status(416)
          .header('range', `0-${job.trace.length}`)
          .header('job-status', job.status)
          .send();
      }
      return reply
        .status(202)
        .header('range', `0-${length}`)
        .header('job-status', 'running')
        .header('x-gitlab-trace-update-interval', '3')
        .send();
    },
  );

  app.put<{ Params: { id: string } }>(
    '/api/v4/jobs/:id',
    {
      ...reportRoute,
      schema: parameters(
        {
          ...jobTokenParameter,
          job_token: { type: 'string', description: 'The job token, another spelling' },
          state: {
            type: 'string',
            enum: ['running', 'success', 'failed'],
            description: 'The state the job ended in',
          },
          failure_reason: { type: 'string', description: 'Why it failed (default script_failure)' },
          trace: { type: 'string', description: 'The whole log' },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const params = apiParams(request);
      const token = params.token ?? params.job_token ?? request.headers['job-token'];
      const job = await reportingJob(deps, requiredInteger(request.params, 'id'), token);
      if (!job) throw forbidden();
      if (job.status !== 'running') return notRunning(reply, job);
      const state = optionalString(params, 'state');
      if (state !== 'success' && state !== 'failed') return reply.header('job-status', 'running').send();
      const outcome: JobOutcome =
        state === 'success'
          ? { status: 'success' }
          : { status: 'failed', failureReason: optionalString(params, 'failure_reason') || 'script_failure' };
      const trace = optionalString(params, 'trace');
      const actor = { userId: null, name: `runner:${job.runner_id ?? 'unknown'}`, ip: request.ip };
      const done = await completeJob(
        deps,
        job,
        { outcome, ...(trace !== undefined ? { fullTrace: trace } : {}) },
        actor,
      );
      if (!done) return notRunning(reply, job);
      return reply.header('job-status', done.status).send();
    },
  );

  app.post(
    '/api/v4/runners/verify',
    {
      config: exempt('the runner API: a runner’s authentication token or its job’s token is the credential'),
      schema: parameters(
        { token: { type: 'string', required: true, description: 'The runner authentication token' } },
        { in: 'body' },
      ),
    },
    async (request) => {
      const runner = await authenticateRunner(deps, apiParams(request).token);
      if (!runner) throw forbidden();
      return { id: runner.id, token: apiParams(request).token, token_expires_at: null };
    },
  );

  app.delete(
    '/api/v4/runners',
    {
      config: exempt('the runner API: a runner’s authentication token or its job’s token is the credential'),
      schema: parameters(
        { token: { type: 'string', required: true, description: 'The runner authentication token' } },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      if (!(await unregisterRunner(deps, apiParams(request).token))) throw forbidden();
      return reply.status(204).send();
    },
  );
}

/** The platform's answer to a runner reporting on a job that is no longer running. */
function notRunning(reply: FastifyReply, job: Job) {
  return reply
    .status(403)
    .header('job-status', job.status)
    .send({ message: '403 Forbidden - Job is not running' });
}
