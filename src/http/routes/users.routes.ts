import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, notFound } from '../../errors/tessera-error.ts';
import type { Principal } from '../../identity/principal.ts';
import { deleteUser } from '../../identity/teardown/delete-holder.service.ts';
import { teardownDeps } from '../../identity/teardown/teardown-deps.ts';
import { createUser } from '../../identity/user.service.ts';
import { changeUserAccess } from '../../identity/user-access.service.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import type { User } from '../../store/schema.ts';
import { countUsersMatching, findUserById, listUsers } from '../../store/users.repository.ts';
import { apiParams, optionalBoolean, optionalString, requiredString, type ApiParams } from '../api-params.ts';
import { actingUserOf, actorOf, READ_API, requireScope, WRITE_API } from '../authenticate.ts';
import { pageRequest, sendPage } from '../pagination.ts';
import { presentUser, presentUserBasic, presentUserPrivate } from '../presenters/user.presenter.ts';
import { PAGINATION, parameters, NO_PARAMETERS } from '../route-parameters.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

/** The user endpoints read `read_user` as well as the API scopes, as the platform does. */
const READ_USER = ['read_user', ...READ_API] as const;

function requireAdmin(request: FastifyRequest): Principal {
  const principal = requireScope(request, WRITE_API);
  if (!principal.user.is_admin) throw forbidden();
  return principal;
}

/** `/api/v4/user` and `/api/v4/users`: who am I, find people, and (admins) create and block them. */
export async function usersRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const { db, clock, settings } = options.context;
  const url = settings.externalUrl;
  const seenBy = (viewer: User, user: User) =>
    viewer.is_admin || viewer.id === user.id ? presentUserPrivate(user, url) : presentUser(user, url);

  // The answer is a pure function of the user row, and a token-authenticated request gets the same
  // row object from the access-token cache for as long as that caches it (so this is never staler than
  // the principal itself): the body is built and serialized once per row object, not on every call of
  // a client polling "who am I".
  const ownBodies = new WeakMap<User, string>();
  app.get('/api/v4/user', { config: requires(PERMISSIONS.readUser) }, async (request, reply) => {
    const user = requireScope(request, READ_USER).user;
    let body = ownBodies.get(user);
    if (body === undefined) {
      body = JSON.stringify(presentUserPrivate(user, url));
      ownBodies.set(user, body);
    }
    return reply.type('application/json').send(body);
  });

  app.get(
    '/api/v4/users',
    {
      config: requires(PERMISSIONS.readUser),
      schema: parameters(
        {
          ...PAGINATION,
          username: { type: 'string', description: 'Only the user with this username' },
          search: {
            type: 'string',
            description: 'Users whose name or username (admins: email) contains this',
          },
          active: { type: 'boolean', description: 'Only active users' },
          blocked: { type: 'boolean', description: 'Only blocked users' },
        },
        { in: 'query' },
      ),
    },
    async (request, reply) => {
      const viewer = requireScope(request, READ_USER).user;
      const params = apiParams(request);
      // As GitLab: only an admin's search reaches email addresses (nobody here has a public one).
      const filter = { ...userFilter(params), searchEmails: Boolean(viewer.is_admin) };
      const page = pageRequest(request);
      const [users, total] = await Promise.all([
        listUsers(db, { ...filter, limit: page.limit, offset: page.offset }),
        countUsersMatching(db, filter),
      ]);
      const present = viewer.is_admin
        ? (u: User) => presentUserPrivate(u, url)
        : (u: User) => presentUserBasic(u, url);
      return sendPage(request, reply, url, page, total, users.map(present));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v4/users/:id',
    { config: requires(PERMISSIONS.readUser) },
    async (request) => {
      const viewer = requireScope(request, READ_USER).user;
      const user = await userByParam(request.params.id);
      return seenBy(viewer, user);
    },
  );

  app.post(
    '/api/v4/users',
    {
      config: requires(PERMISSIONS.createUser),
      schema: parameters(
        {
          username: { type: 'string', required: true, description: 'Username' },
          email: { type: 'string', required: true, format: 'email', description: 'Email address' },
          name: { type: 'string', description: 'Display name' },
          password: { type: 'string', description: 'Password' },
          admin: { type: 'boolean', description: 'Whether the user is an administrator' },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      requireAdmin(request);
      const params = apiParams(request);
      const user = await createUser(db, clock, actorOf(request), {
        username: requiredString(params, 'username'),
        email: requiredString(params, 'email'),
        name: optionalString(params, 'name'),
        password: optionalString(params, 'password'),
        admin: optionalBoolean(params, 'admin') ?? false,
      });
      return reply.status(201).send(presentUserPrivate(user, url));
    },
  );

  for (const [action, permission] of [
    ['block', PERMISSIONS.blockUser],
    ['unblock', PERMISSIONS.blockUser],
    ['deactivate', PERMISSIONS.deactivateUser],
    ['activate', PERMISSIONS.deactivateUser],
  ] as const) {
    app.post<{ Params: { id: string } }>(
      `/api/v4/users/:id/${action}`,
      { config: requires(permission), schema: NO_PARAMETERS },
      async (request, reply) => {
        const admin = requireAdmin(request);
        const user = await userByParam(request.params.id);
        await changeUserAccess({ db, clock }, actorOf(request), admin.user, user.id, action);
        return reply.status(201).send(true);
      },
    );
  }

  // `hard_delete` also deletes the groups the user solely owns; without it such a user is a 409.
  app.delete<{ Params: { id: string } }>(
    '/api/v4/users/:id',
    {
      config: requires(PERMISSIONS.deleteUser),
      schema: parameters(
        {
          hard_delete: { type: 'boolean', description: 'Also delete the groups the user solely owns' },
        },
        { in: 'query' },
      ),
    },
    async (request, reply) => {
      const admin = requireAdmin(request);
      const user = await userByParam(request.params.id);
      const hardDelete = optionalBoolean(apiParams(request), 'hard_delete') ?? false;
      await deleteUser(teardownDeps(options.context), actingUserOf(request, admin), user.id, { hardDelete });
      return reply.status(204).send();
    },
  );

  async function userByParam(id: string): Promise<User> {
    const user = /^\d{1,15}$/.test(id) ? await findUserById(db, Number(id)) : undefined;
    if (!user) throw notFound('User');
    return user;
  }
}

function userFilter(params: ApiParams) {
  const state = optionalBoolean(params, 'blocked')
    ? 'blocked'
    : optionalBoolean(params, 'active')
      ? 'active'
      : undefined;
  return {
    username: optionalString(params, 'username'),
    search: optionalString(params, 'search') || undefined,
    state: state as User['state'] | undefined,
  };
}
