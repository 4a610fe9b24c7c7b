import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, notFound, unauthorized } from '../../errors/tessera-error.ts';
import { projectAccessFacts } from '../../identity/access-facts.service.ts';
import { canSee } from '../../identity/permissions.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { findProjectByRef } from '../../store/projects.repository.ts';
import { JobTokenAuthenticator } from '../../tokens/job/job-token.authenticator.ts';

/**
 * How a route treats CI job tokens: `self` for endpoints about the job itself (`GET /job`), `project`
 * for endpoints of the project in the `:id` parameter, which the token's project scope must reach.
 * Routes without it refuse job tokens with 401, as the platform does outside its job-token endpoint set.
 */
export type JobTokenAccess = 'self' | 'project';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on the routes of the job-token endpoint set. */
    jobToken?: JobTokenAccess;
  }
}

/** Routes of other modules that belong to the job-token endpoint set: reading a project. */
const OTHER_JOB_TOKEN_ROUTES: Readonly<Record<string, JobTokenAccess>> = {
  'GET /api/v4/projects/:id': 'project',
};

/** The platform's words when an allowlist keeps a job token out. */
export const JOB_TOKEN_SCOPE_MESSAGE =
  "403 Forbidden - This project's CI/CD job token allowlist does not allow access from the job's project";

function accessOf(request: FastifyRequest): JobTokenAccess | undefined {
  return (
    request.routeOptions.config?.jobToken ??
    OTHER_JOB_TOKEN_ROUTES[`${request.method} ${request.routeOptions.url ?? ''}`]
  );
}

/**
 * Enforces the job-token endpoint set on every route: a job token (`JOB-TOKEN`, `job_token`) is
 * refused with 401 outside it, and on a project route the project must be the job's own or admit it
 * through its inbound allowlist (403 otherwise); the user's own permission is checked by the route.
 * Also accepts a `job_token` form or JSON field on those routes, read once the body is parsed.
 */
export function installJobTokenBoundary(app: FastifyInstance, context: InstanceContext): void {
  const authenticator = context.tokenAuthenticators.find(
    (a): a is JobTokenAuthenticator => a instanceof JobTokenAuthenticator,
  );
  app.addHook('preHandler', async (request) => {
    const access = accessOf(request);
    if (!request.principal && access && authenticator) {
      const field = (request.body as Record<string, unknown> | undefined)?.job_token;
      if (typeof field === 'string') {
        request.principal = await authenticator.authenticate(field);
        if (!request.principal) throw unauthorized();
      }
    }
    const principal = request.principal;
    if (principal?.credential.kind !== 'ci_job_token') return;
    if (!access) throw unauthorized();
    if (access === 'self') return;
    const ref = (request.params as { id?: unknown } | undefined)?.id;
    if (typeof ref !== 'string') return;
    const project = await findProjectByRef(context.db, ref);
    // An unknown project is left to the route, which answers 404 the usual way.
    if (!project || (await principal.credential.projectScope?.allows(project.id))) return;
    // A project the user cannot see stays hidden: 404, as for anyone else.
    if (!canSee(await projectAccessFacts(context.db, principal.user, project))) throw notFound('Project');
    throw forbidden(JOB_TOKEN_SCOPE_MESSAGE);
  });
}
