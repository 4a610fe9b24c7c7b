import type { FastifyInstance } from 'fastify';
import type { SessionDeps } from '../../identity/session.service.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { groupsRoutes } from './groups.routes.ts';
import { membersRoutes } from './members.routes.ts';
import { projectsRoutes } from './projects.routes.ts';
import { sessionsRoutes } from './sessions.routes.ts';
import { usersRoutes } from './users.routes.ts';

/** Sign-in and sessions, users, groups, projects and their members: the identity part of the instance. */
export async function identityRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext; sessions: SessionDeps },
): Promise<void> {
  await app.register(sessionsRoutes, options);
  await app.register(usersRoutes, options);
  await app.register(groupsRoutes, options);
  await app.register(projectsRoutes, options);
  await app.register(membersRoutes, options);
}
