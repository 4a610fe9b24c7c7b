import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound } from '../errors/tessera-error.ts';
import { groupAccessFacts, projectAccessFacts } from '../identity/access-facts.service.ts';
import { canSee } from '../identity/permissions.ts';
import type { User } from '../store/schema.ts';
import type { Executor } from '../store/database.ts';
import { findGroupByRef } from '../store/namespaces.repository.ts';
import { findProjectByRef } from '../store/projects.repository.ts';
import { assertGranularPermissions, type GranularTarget } from '../tokens/access/granular-access.ts';
import { permissionOf } from './route-permission.ts';

/**
 * The one place a fine-grained token is checked on a REST route, before its handler: every permission
 * the route names (`permissionOf`) must be held on a boundary containing the route's target — the
 * project or group of its `:id`, or, on other routes, the user or the instance. A target the user
 * cannot see is a 404, as for any other credential; a miss is a 403 `insufficient_granular_scope`
 * naming the permission. On success the request is admitted, which is what lets the route's own scope
 * check pass; the route's own authorization then runs as for any token. An exempt route admits
 * nothing, so one that checks scopes refuses a fine-grained token. Git and the registry token service
 * read basic credentials themselves and make the same check there (`git-access.ts`, `registry-ability.ts`).
 */
export function installGranularScopeBoundary(app: FastifyInstance, db: Executor): void {
  app.addHook('preHandler', async (request) => {
    const principal = request.principal;
    const granular = principal?.credential.granular;
    if (!principal || !granular) return;
    const permissions = permissionOf(request);
    if (permissions.length === 0) return;
    const target = await targetOf(db, request, principal.user);
    await assertGranularPermissions(db, principal.user, granular.scopes, permissions, target);
    granular.admitted = true;
  });
}

const PROJECT_ROUTE = /^\/api\/v4\/projects\/:id(\/|$)/;
const GROUP_ROUTE = /^\/api\/v4\/groups\/:id(\/|$)/;

/** The project or group a route acts on, by its path; 404 when it is unknown or hidden from the user. */
async function targetOf(db: Executor, request: FastifyRequest, user: User): Promise<GranularTarget> {
  const url = request.routeOptions.url ?? '';
  const ref = (request.params as { id?: unknown } | undefined)?.id;
  if (typeof ref !== 'string') return { kind: 'none' };
  if (PROJECT_ROUTE.test(url)) {
    const project = await findProjectByRef(db, ref);
    if (!project || !canSee(await projectAccessFacts(db, user, project))) throw notFound('Project');
    return { kind: 'project', project };
  }
  if (GROUP_ROUTE.test(url)) {
    const group = await findGroupByRef(db, ref);
    if (!group || !canSee(await groupAccessFacts(db, user, group))) throw notFound('Group');
    return { kind: 'group', group };
  }
  return { kind: 'none' };
}
