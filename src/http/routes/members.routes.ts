import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound } from '../../errors/tessera-error.ts';
import { listAllMembers, listDirectMembers, type MemberView } from '../../identity/member-listing.ts';
import { addMember, removeMember, updateMember, type MemberTarget } from '../../identity/member.service.ts';
import { authorizeGroup, authorizeProject } from '../../identity/resource-access.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import type { User } from '../../store/schema.ts';
import {
  apiParams,
  optionalInteger,
  optionalString,
  requiredInteger,
  type ApiParams,
} from '../api-params.ts';
import { actingUserOf, requireScope, WRITE_API } from '../authenticate.ts';
import { optionalReader } from '../optional-reader.ts';
import { sendArrayPage } from '../pagination.ts';
import { presentMember } from '../presenters/member.presenter.ts';
import { PAGINATION, parameters } from '../route-parameters.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

type Params = { id: string; user_id?: string };

/**
 * Members of projects and of groups, the same endpoints for both as on the platform:
 * `/api/v4/{projects,groups}/:id/members[/all][/:user_id]`.
 */
export async function membersRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const { db, clock, settings } = options.context;
  const url = settings.externalUrl;

  for (const kind of ['projects', 'groups'] as const) {
    const base = `/api/v4/${kind}/:id/members`;
    const target = async (user: User | null, ref: string): Promise<MemberTarget> =>
      kind === 'projects'
        ? { kind: 'project', project: (await authorizeProject(db, user, ref)).project }
        : { kind: 'group', group: (await authorizeGroup(db, user, ref)).group };
    const acting = (request: FastifyRequest) => actingUserOf(request, requireScope(request, WRITE_API));

    for (const [suffix, list] of [
      ['', listDirectMembers],
      ['/all', listAllMembers],
    ] as const) {
      app.get<{ Params: Params }>(
        `${base}${suffix}`,
        {
          config: requires(PERMISSIONS.readMember),
          schema: parameters(
            {
              ...PAGINATION,
              query: { type: 'string', description: 'Members whose name or username contains this' },
              user_ids: { type: 'integer', description: 'Only the member with this user id' },
            },
            { in: 'query' },
          ),
        },
        async (request, reply) => {
          const members = await list(db, await target(optionalReader(request), request.params.id));
          const matching = filterMembers(members, apiParams(request));
          return sendArrayPage(
            request,
            reply,
            url,
            matching.map((m) => presentMember(m, url)),
          );
        },
      );
      app.get<{ Params: Params }>(
        `${base}${suffix}/:user_id`,
        { config: requires(PERMISSIONS.readMember) },
        async (request) => {
          const members = await list(db, await target(optionalReader(request), request.params.id));
          return presentMember(memberOf(members, request.params.user_id), url);
        },
      );
    }

    app.post<{ Params: Params }>(
      base,
      {
        config: requires(PERMISSIONS.createMember),
        schema: parameters(
          {
            user_id: { type: 'integer', required: true, description: 'The user to add' },
            access_level: {
              type: 'integer',
              required: true,
              description: 'Access level (10, 15, 20, 30, 40, 50)',
            },
            expires_at: { type: 'string', format: 'date', description: 'When the membership ends' },
          },
          { in: 'body' },
        ),
      },
      async (request, reply) => {
        const by = acting(request);
        const params = apiParams(request);
        const on = await target(by.user, request.params.id);
        const userId = requiredInteger(params, 'user_id');
        await addMember(db, clock, by, on, {
          userId,
          accessLevel: requiredInteger(params, 'access_level'),
          expiresAt: optionalString(params, 'expires_at') ?? null,
        });
        return reply
          .status(201)
          .send(presentMember(memberOf(await listDirectMembers(db, on), String(userId)), url));
      },
    );

    app.put<{ Params: Params }>(
      `${base}/:user_id`,
      {
        config: requires(PERMISSIONS.updateMember),
        schema: parameters(
          {
            access_level: {
              type: 'integer',
              required: true,
              description: 'Access level (10, 15, 20, 30, 40, 50)',
            },
            expires_at: { type: 'string', format: 'date', description: 'When the membership ends' },
          },
          { in: 'body' },
        ),
      },
      async (request) => {
        const by = acting(request);
        const params = apiParams(request);
        const on = await target(by.user, request.params.id);
        const userId = userIdParam(request.params.user_id);
        await updateMember(db, clock, by, on, userId, {
          accessLevel: requiredInteger(params, 'access_level'),
          expiresAt: optionalString(params, 'expires_at'),
        });
        return presentMember(memberOf(await listDirectMembers(db, on), String(userId)), url);
      },
    );

    app.delete<{ Params: Params }>(
      `${base}/:user_id`,
      { config: requires(PERMISSIONS.deleteMember) },
      async (request, reply) => {
        const by = acting(request);
        const on = await target(by.user, request.params.id);
        await removeMember(db, clock, by, on, userIdParam(request.params.user_id));
        return reply.status(204).send();
      },
    );
  }
}

function userIdParam(value: string | undefined): number {
  if (!value || !/^\d{1,15}$/.test(value)) throw notFound('Member');
  return Number(value);
}

function memberOf(members: MemberView[], userId: string | undefined): MemberView {
  const id = userIdParam(userId);
  const member = members.find((m) => m.user.id === id);
  if (!member) throw notFound('Member');
  return member;
}

/** GitLab's `query` (name or username contains) and `user_ids` filters. */
function filterMembers(members: MemberView[], params: ApiParams): MemberView[] {
  const query = optionalString(params, 'query')?.toLowerCase();
  const userId = optionalInteger(params, 'user_ids');
  return members.filter(
    (m) =>
      (!query ||
        m.user.username.toLowerCase().includes(query) ||
        m.user.name.toLowerCase().includes(query)) &&
      (userId === undefined || m.user.id === userId),
  );
}
