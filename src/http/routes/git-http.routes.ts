import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { AuthenticationThrottle } from '../../security/authentication-throttle.ts';
import { ciDeps, type CiDeps } from '../../ci/ci-deps.ts';
import { pushAccessLevelFor, branchProtectionOf } from '../../ci/protected-refs.ts';
import { pipelinesForPush } from '../../ci/push-pipelines.ts';
import { forbidden, TesseraError } from '../../errors/tessera-error.ts';
import {
  authorizeGitAccess,
  GIT_OPERATION_PERMISSIONS,
  type GitAccess,
  type GitOperation,
} from '../../git/git-access.ts';
import { runGitHttpBackend } from '../../git/git-http-backend.ts';
import { readRefUpdates, type RefUpdate } from '../../git/receive-pack-commands.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { findProjectByFullPath } from '../../store/projects.repository.ts';
import type { Project } from '../../store/schema.ts';
import { parseBasicAuthorization, resolveBasicCredentials } from '../../tokens/basic-credentials.ts';
import { countsAsGuess } from '../../tokens/token-authenticator.ts';
import { requires, requiresPerRequest } from '../route-permission.ts';

type Service = 'info/refs' | 'git-upload-pack' | 'git-receive-pack';

/** A project sits under at most 20 levels of groups, as on the platform. */
const MAX_NAMESPACE_DEPTH = 20;
const PACK_CONTENT_TYPES = [
  'application/x-git-upload-pack-request',
  'application/x-git-receive-pack-request',
];

/**
 * Git smart HTTP at `/<namespace>/<project>.git/{info/refs,git-upload-pack,git-receive-pack}`:
 * authenticated (HTTP basic through the shared resolvers: PAT, job token, deploy token; anonymous for
 * public clones) and authorized here, then handed to Debian's `git http-backend`. The bare repository
 * is created on the first authorized access. A push to a protected branch needs its push level; an
 * accepted push triggers a pipeline per updated branch or tag.
 */
export async function gitHttpRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const { context } = options;
  const deps = ciDeps(context);
  // Pack bodies stream straight to git: no parsing, no body limit (a push may be large).
  app.addContentTypeParser(PACK_CONTENT_TYPES, (_request, payload, done) => done(null, payload));

  for (let depth = 1; depth <= MAX_NAMESPACE_DEPTH; depth++) {
    const prefix = Array.from({ length: depth }, (_, i) => `/:n${i}`).join('') + '/:repo';
    app.get(`${prefix}/info/refs`, { config: INFO_REFS_PERMISSION }, (request, reply) =>
      serve(context, deps, request, reply, 'info/refs'),
    );
    app.post(
      `${prefix}/git-upload-pack`,
      { config: requires(GIT_OPERATION_PERMISSIONS.read) },
      (request, reply) => serve(context, deps, request, reply, 'git-upload-pack'),
    );
    app.post(
      `${prefix}/git-receive-pack`,
      { config: requires(GIT_OPERATION_PERMISSIONS.write) },
      (request, reply) => serve(context, deps, request, reply, 'git-receive-pack'),
    );
  }
}

async function serve(
  context: InstanceContext,
  deps: CiDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  service: Service,
) {
  const segments = Object.values(request.params as Record<string, string>);
  const repo = segments.pop()!;
  if (!repo.endsWith('.git') || repo.length <= 4) return reply.callNotFound();
  const fullPath = [...segments, repo.slice(0, -4)].join('/');
  const operation = gitOperationOf(service, request);

  const project = await findProjectByFullPath(deps.db, fullPath);
  let access: GitAccess;
  try {
    access = await authorizeGitAccess(deps.db, await identityOf(context, request), project, operation);
  } catch (error) {
    // git retries with credentials only after a challenge.
    if (error instanceof TesseraError && error.code === 'unauthorized') {
      void reply.header('www-authenticate', 'Basic realm="Tessera"');
    }
    throw error;
  }
  await deps.repositories.ensure(project!.id, project!.default_branch);

  let body = request.body as Readable | undefined;
  let updates: RefUpdate[] = [];
  if (service === 'git-receive-pack') {
    if (request.headers['content-encoding'])
      throw forbidden('403 Forbidden - compressed push requests are not accepted');
    ({ updates, body } = await readRefUpdates(body!));
    await assertMayUpdate(deps, project!, access, updates);
  }

  const response = await runGitHttpBackend({
    projectRoot: deps.repositories.root,
    pathInfo: `/${deps.repositories.relativePathOf(project!.id)}/${service}`,
    method: request.method,
    queryString: request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '',
    contentType: request.headers['content-type'],
    contentEncoding: request.headers['content-encoding'],
    gitProtocol: headerValue(request.headers['git-protocol']),
    remoteUser: access.remoteUser,
    remoteAddr: request.ip,
    ...(body ? { body } : {}),
  });
  if (service === 'git-receive-pack' && access.userId !== null) {
    const pusher = access.userId;
    void response.exited.then(async () => {
      try {
        await pipelinesForPush(deps, project!, pusher, updates);
      } catch (error) {
        deps.logger.error({ err: error, projectId: project!.id }, 'pipelines for a push failed');
      }
    });
  }
  return reply.status(response.status).headers(response.headers).send(response.body);
}

/** `info/refs` starts a clone or a push: which one, its `service` parameter says. */
function gitOperationOf(service: Service, request: FastifyRequest): GitOperation {
  const query = request.query as Record<string, unknown>;
  return service === 'git-receive-pack' || (service === 'info/refs' && query.service === 'git-receive-pack')
    ? 'write'
    : 'read';
}

const INFO_REFS_PERMISSION = requiresPerRequest(Object.values(GIT_OPERATION_PERMISSIONS), (request) => [
  GIT_OPERATION_PERMISSIONS[gitOperationOf('info/refs', request)],
]);

async function identityOf(context: InstanceContext, request: FastifyRequest) {
  const basic = parseBasicAuthorization(request.headers.authorization);
  if (!basic) return null;
  // Counted per address only, as the registry does: usernames are public, and locking an account
  // would let anyone stop a deploy token's clones by failing under its name.
  const attempt = { credential: 'basic:git', ip: request.ip };
  const throttle = new AuthenticationThrottle({
    db: context.db,
    clock: context.clock,
    limiter: context.failureLimiter,
  });
  await throttle.assertAllowed(attempt);
  const identity = await resolveBasicCredentials(
    context.basicCredentialResolvers,
    basic.username,
    basic.password,
    {
      ip: request.ip,
    },
  );
  // Credentials that were sent but are wrong are never downgraded to anonymous.
  if (!identity) {
    const { tokenAuthenticators, settings } = context;
    if (await countsAsGuess(tokenAuthenticators, basic.password, settings.tokenPrefix)) {
      await throttle.recordFailure(attempt);
    }
    throw new TesseraError('unauthorized', '401 Unauthorized');
  }
  return identity;
}

/** Refuses a push that moves a protected branch the pusher may not push to (deploy tokens: any protected branch). */
async function assertMayUpdate(
  deps: CiDeps,
  project: Project,
  access: GitAccess,
  updates: readonly RefUpdate[],
) {
  const protection = await branchProtectionOf(deps.db, project);
  for (const update of updates) {
    const branch = /^refs\/heads\/(.+)$/.exec(update.ref)?.[1];
    if (branch === undefined) continue;
    const required = pushAccessLevelFor(protection, branch);
    if (required !== undefined && access.accessLevel < required) {
      throw forbidden(
        `403 Forbidden - You are not allowed to push code to protected branches on this project (${branch}).`,
      );
    }
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
