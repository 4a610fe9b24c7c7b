import type { FastifyInstance } from 'fastify';
import { ciDeps } from '../../ci/ci-deps.ts';
import {
  changeRunner,
  deleteRunnerById,
  findVisibleRunner,
  listAllRunners,
  listGroupRunners,
  listOwnedRunners,
  listProjectRunners,
  resetRunnerToken,
  RUNNER_STATUSES,
  runnerStatus,
  runnerTags,
  type RunnerChanges,
  type RunnerFilter,
} from '../../ci/runner-admin.service.ts';
import { registerRunnerWithToken, resetRegistrationToken } from '../../ci/runner-registration.service.ts';
import { createRunner, RUNNER_ENVIRONMENTS, RUNNER_TYPES } from '../../ci/runner.service.ts';
import { badRequest } from '../../errors/tessera-error.ts';
import type { Runner } from '../../store/ci-schema.ts';
import { findProjectById } from '../../store/projects.repository.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { apiParams, optionalBoolean, optionalChoice, optionalString, type ApiParams } from '../api-params.ts';
import { actingUserOf, READ_API, requireScope, WRITE_API } from '../authenticate.ts';
import { sendArrayPage } from '../pagination.ts';
import { numericId } from './access-token-request.ts';
import { CREATES_CREDENTIAL } from './composite-identity-boundary.ts';
import { PAGINATION, parameters, NO_PARAMETERS } from '../route-parameters.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { exempt, requires } from '../route-permission.ts';

type IdParams = { Params: { id: string } };

/**
 * Runners: `POST /api/v4/user/runners` (an administrator or a project maintainer registers one and
 * gets its token once), the lists, one runner's details, changes, deletion and token reset; and the
 * legacy registration with a registration token, with the resets of those tokens.
 */
export async function runnersRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const deps = ciDeps(options.context);

  app.post(
    '/api/v4/user/runners',
    {
      config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.createRunner) },
      schema: parameters(
        {
          runner_type: {
            type: 'string',
            required: true,
            enum: RUNNER_TYPES,
            description: 'Scope of the runner',
          },
          project_id: {
            type: 'string',
            description: 'The project of a project_type runner (id or full path)',
          },
          description: { type: 'string', description: 'Description' },
          tag_list: {
            type: 'array',
            items: 'string',
            description: 'Tags (an array or a comma-separated list)',
          },
          run_untagged: { type: 'boolean', description: 'Whether it picks untagged jobs' },
          paused: { type: 'boolean', description: 'Whether it starts paused' },
          runner_environment: { type: 'string', enum: RUNNER_ENVIRONMENTS, description: 'Where it runs' },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const principal = requireScope(request, ['api', 'create_runner']);
      const params = apiParams(request);
      const runnerType = optionalChoice(params, 'runner_type', RUNNER_TYPES);
      if (!runnerType) throw badRequest('runner_type', 'is missing');
      const { runner, token } = await createRunner(deps, actingUserOf(request, principal), {
        runnerType,
        project: optionalString(params, 'project_id') || undefined,
        description: optionalString(params, 'description'),
        tagList: tagList(params),
        runUntagged: optionalBoolean(params, 'run_untagged'),
        paused: optionalBoolean(params, 'paused'),
        environment: optionalChoice(params, 'runner_environment', RUNNER_ENVIRONMENTS),
      });
      return reply.status(201).send({ id: runner.id, token, token_expires_at: null });
    },
  );

  const url = deps.settings.externalUrl;
  const now = () => deps.clock.now();
  const basic = (runner: Runner) => ({
    id: runner.id,
    description: runner.description,
    ip_address: null,
    active: runner.paused === 0,
    paused: runner.paused === 1,
    is_shared: runner.runner_type === 'instance_type',
    runner_type: runner.runner_type,
    name: null,
    online: runnerStatus(runner, now()) === 'online',
    status: runnerStatus(runner, now()),
  });
  const details = async (runner: Runner) => {
    const project =
      runner.project_id === null ? undefined : await findProjectById(deps.db, runner.project_id);
    return {
      ...basic(runner),
      tag_list: runnerTags(runner),
      run_untagged: runner.run_untagged === 1,
      locked: runner.runner_type === 'project_type',
      maximum_timeout: null,
      access_level: 'not_protected',
      version: null,
      revision: null,
      platform: null,
      architecture: null,
      contacted_at: runner.contacted_at,
      maintenance_note: null,
      runner_environment: runner.environment,
      projects: project
        ? [
            {
              id: project.id,
              name: project.name,
              name_with_namespace: project.full_path,
              path: project.path,
              path_with_namespace: project.full_path,
            },
          ]
        : [],
      groups: [],
    };
  };

  app.get(
    '/api/v4/runners',
    {
      config: requires(PERMISSIONS.readRunner),
      schema: parameters(
        {
          ...PAGINATION,
          type: {
            type: 'string',
            enum: ['instance_type', 'group_type', 'project_type'],
            description: 'Only runners of this scope',
          },
          paused: { type: 'boolean', description: 'Only paused, or only unpaused, runners' },
          status: { type: 'string', enum: RUNNER_STATUSES, description: 'Only runners with this status' },
          tag_list: { type: 'array', items: 'string', description: 'Only runners with all these tags' },
        },
        { in: 'query' },
      ),
    },
    async (request, reply) => {
      const principal = requireScope(request, READ_API);
      const runners = await listOwnedRunners(deps, principal.user, runnerFilter(apiParams(request)));
      return sendArrayPage(request, reply, url, runners.map(basic));
    },
  );

  app.get(
    '/api/v4/runners/all',
    {
      config: requires(PERMISSIONS.readRunner),
      schema: parameters(
        {
          ...PAGINATION,
          type: {
            type: 'string',
            enum: ['instance_type', 'group_type', 'project_type'],
            description: 'Only runners of this scope',
          },
          paused: { type: 'boolean', description: 'Only paused, or only unpaused, runners' },
          status: { type: 'string', enum: RUNNER_STATUSES, description: 'Only runners with this status' },
          tag_list: { type: 'array', items: 'string', description: 'Only runners with all these tags' },
        },
        { in: 'query' },
      ),
    },
    async (request, reply) => {
      const principal = requireScope(request, READ_API);
      const runners = await listAllRunners(deps, principal.user, runnerFilter(apiParams(request)));
      return sendArrayPage(request, reply, url, runners.map(basic));
    },
  );

  app.get<IdParams>('/api/v4/runners/:id', { config: requires(PERMISSIONS.readRunner) }, async (request) => {
    const principal = requireScope(request, READ_API);
    return details(await findVisibleRunner(deps, principal.user, numericId(request.params.id)));
  });

  app.put<IdParams>(
    '/api/v4/runners/:id',
    {
      config: requires(PERMISSIONS.updateRunner),
      schema: parameters(
        {
          description: { type: 'string', description: 'Description' },
          paused: { type: 'boolean', description: 'Whether it is paused' },
          active: { type: 'boolean', description: 'Deprecated: the opposite of paused' },
          tag_list: {
            type: 'array',
            items: 'string',
            description: 'Tags (an array or a comma-separated list)',
          },
          run_untagged: { type: 'boolean', description: 'Whether it picks untagged jobs' },
        },
        { in: 'body' },
      ),
    },
    async (request) => {
      const principal = requireScope(request, WRITE_API);
      const changed = await changeRunner(
        deps,
        actingUserOf(request, principal),
        numericId(request.params.id),
        runnerChanges(apiParams(request)),
      );
      return details(changed);
    },
  );

  app.delete<IdParams>(
    '/api/v4/runners/:id',
    { config: requires(PERMISSIONS.deleteRunner) },
    async (request, reply) => {
      const principal = requireScope(request, WRITE_API);
      await deleteRunnerById(deps, actingUserOf(request, principal), numericId(request.params.id));
      return reply.status(204).send();
    },
  );

  app.post<IdParams>(
    '/api/v4/runners/:id/reset_authentication_token',
    {
      config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.resetRunnerAuthenticationToken) },
      schema: NO_PARAMETERS,
    },
    async (request, reply) => {
      const principal = requireScope(request, WRITE_API);
      const { token } = await resetRunnerToken(
        deps,
        actingUserOf(request, principal),
        numericId(request.params.id),
      );
      return reply.status(201).send({ token, token_expires_at: null });
    },
  );

  app.get<IdParams>(
    '/api/v4/projects/:id/runners',
    {
      config: requires(PERMISSIONS.readRunner),
      schema: parameters(
        {
          ...PAGINATION,
          type: {
            type: 'string',
            enum: ['instance_type', 'group_type', 'project_type'],
            description: 'Only runners of this scope',
          },
          paused: { type: 'boolean', description: 'Only paused, or only unpaused, runners' },
          status: { type: 'string', enum: RUNNER_STATUSES, description: 'Only runners with this status' },
          tag_list: { type: 'array', items: 'string', description: 'Only runners with all these tags' },
        },
        { in: 'query' },
      ),
    },
    async (request, reply) => {
      const principal = requireScope(request, READ_API);
      const acting = actingUserOf(request, principal);
      const runners = await listProjectRunners(
        deps,
        acting,
        request.params.id,
        runnerFilter(apiParams(request)),
      );
      return sendArrayPage(request, reply, url, runners.map(basic));
    },
  );

  app.get<IdParams>(
    '/api/v4/groups/:id/runners',
    {
      config: requires(PERMISSIONS.readRunner),
      schema: parameters(
        {
          ...PAGINATION,
          type: {
            type: 'string',
            enum: ['instance_type', 'group_type', 'project_type'],
            description: 'Only runners of this scope',
          },
          paused: { type: 'boolean', description: 'Only paused, or only unpaused, runners' },
          status: { type: 'string', enum: RUNNER_STATUSES, description: 'Only runners with this status' },
          tag_list: { type: 'array', items: 'string', description: 'Only runners with all these tags' },
        },
        { in: 'query' },
      ),
    },
    async (request, reply) => {
      const principal = requireScope(request, READ_API);
      const acting = actingUserOf(request, principal);
      const runners = await listGroupRunners(
        deps,
        acting,
        request.params.id,
        runnerFilter(apiParams(request)),
      );
      return sendArrayPage(request, reply, url, runners.map(basic));
    },
  );

  // The legacy registration (410 unless an administrator allows registration tokens): the runner
  // authenticates with the registration token itself, so no principal is needed.
  app.post(
    '/api/v4/runners',
    {
      config: exempt('legacy registration with a registration token in the body (410 while those are off)'),
      schema: parameters(
        {
          token: { type: 'string', required: true, description: 'A registration token (GR1348941…)' },
          description: { type: 'string', description: 'Description' },
          tag_list: {
            type: 'array',
            items: 'string',
            description: 'Tags (an array or a comma-separated list)',
          },
          run_untagged: { type: 'boolean', description: 'Whether it picks untagged jobs' },
          paused: { type: 'boolean', description: 'Whether it starts paused' },
          active: { type: 'boolean', description: 'Deprecated: the opposite of paused' },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const params = apiParams(request);
      const active = optionalBoolean(params, 'active');
      const { runner, token } = await registerRunnerWithToken(
        deps,
        params.token,
        {
          description: optionalString(params, 'description'),
          tagList: tagList(params),
          runUntagged: optionalBoolean(params, 'run_untagged'),
          paused: optionalBoolean(params, 'paused') ?? (active === undefined ? undefined : !active),
        },
        request.ip ?? null,
      );
      return reply.status(201).send({ id: runner.id, token, token_expires_at: null });
    },
  );

  app.post(
    '/api/v4/runners/reset_registration_token',
    {
      config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.resetRunnerRegistrationToken) },
      schema: NO_PARAMETERS,
    },
    async (request, reply) => {
      const principal = requireScope(request, WRITE_API);
      const token = await resetRegistrationToken(deps, actingUserOf(request, principal), {
        kind: 'instance',
      });
      return reply.status(201).send({ token, token_expires_at: null });
    },
  );

  app.post<IdParams>(
    '/api/v4/projects/:id/runners/reset_registration_token',
    {
      config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.resetRunnerRegistrationToken) },
      schema: NO_PARAMETERS,
    },
    async (request, reply) => {
      const principal = requireScope(request, WRITE_API);
      const token = await resetRegistrationToken(deps, actingUserOf(request, principal), {
        kind: 'project',
        project: request.params.id,
      });
      return reply.status(201).send({ token, token_expires_at: null });
    },
  );
}

/** The list filters: `type`, `paused`, `status` and `tag_list`, in the platform's words. */
function runnerFilter(params: ApiParams): RunnerFilter {
  const filter: RunnerFilter = {};
  const type = optionalChoice(params, 'type', ['instance_type', 'group_type', 'project_type'] as const);
  if (type) filter.type = type;
  const paused = optionalBoolean(params, 'paused');
  if (paused !== undefined) filter.paused = paused;
  const status = optionalChoice(params, 'status', RUNNER_STATUSES);
  if (status) filter.status = status;
  const tags = tagList(params);
  if (tags) filter.tagList = tags;
  return filter;
}

/** `PUT /runners/:id`'s attributes; `active` is the older spelling of `paused`'s opposite. */
function runnerChanges(params: ApiParams): RunnerChanges {
  const changes: RunnerChanges = {};
  const description = optionalString(params, 'description');
  if (description !== undefined) changes.description = description;
  const paused = optionalBoolean(params, 'paused');
  const active = optionalBoolean(params, 'active');
  if (paused !== undefined) changes.paused = paused;
  else if (active !== undefined) changes.paused = !active;
  const tags = tagList(params);
  if (tags) changes.tagList = tags;
  const runUntagged = optionalBoolean(params, 'run_untagged');
  if (runUntagged !== undefined) changes.runUntagged = runUntagged;
  return changes;
}

/** `tag_list` as an array (`tag_list[]=a`) or a comma-separated string, as the platform takes it. */
function tagList(params: ApiParams): string[] | undefined {
  const raw = params.tag_list ?? params['tag_list[]'];
  if (raw === undefined || raw === null || raw === '') return undefined;
  const list = Array.isArray(raw) ? raw : String(raw).split(',');
  if (!list.every((t) => typeof t === 'string')) throw badRequest('tag_list', 'is invalid');
  return (list as string[]).map((t) => t.trim()).filter((t) => t !== '');
}
