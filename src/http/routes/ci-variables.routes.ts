import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ciDeps } from '../../ci/ci-deps.ts';
import {
  createVariable,
  deleteVariable,
  findVariable,
  listVariables,
  updateVariable,
  type VariableTarget,
  type VariableView,
} from '../../ci/variables/ci-variable.service.ts';
import { badRequest } from '../../errors/tessera-error.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import {
  apiParams,
  optionalBoolean,
  optionalChoice,
  optionalString,
  requiredString,
  type ApiParams,
} from '../api-params.ts';
import { actingUserOf, READ_API, requireScope, WRITE_API } from '../authenticate.ts';
import { sendArrayPage } from '../pagination.ts';
import { CREATES_CREDENTIAL } from './composite-identity-boundary.ts';
import { PAGINATION, parameters } from '../route-parameters.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

type Level = VariableTarget['level'];
type ListRequest = FastifyRequest<{ Params: { id?: string } }>;
type KeyRequest = FastifyRequest<{ Params: { id?: string; key: string } }>;

const VARIABLE_TYPES = ['env_var', 'file'] as const;

/** The three collections, at GitLab's paths. */
const BASES: Record<Level, string> = {
  project: '/api/v4/projects/:id/variables',
  group: '/api/v4/groups/:id/variables',
  instance: '/api/v4/admin/ci/variables',
};

function targetOf(level: Level, request: ListRequest): VariableTarget {
  return level === 'instance' ? { level } : { level, ref: request.params.id ?? '' };
}

/** `filter[environment_scope]`, read from the nested parameters the shared layer built. */
function scopeFilter(params: ApiParams): string | undefined {
  const filter = params.filter;
  if (filter === undefined || filter === null || filter === '') return undefined;
  if (typeof filter !== 'object' || Array.isArray(filter)) throw badRequest('filter', 'is invalid');
  return optionalString(filter as ApiParams, 'environment_scope');
}

/**
 * A variable in GitLab's shape. Instance variables have no scope and cannot be hidden; a hidden
 * variable's value is null, as GitLab answers it.
 */
function present(level: Level, { row, value }: VariableView) {
  const common = {
    variable_type: row.variable_type,
    key: row.key,
    value,
    protected: row.protected === 1,
    masked: row.masked === 1,
    raw: row.raw === 1,
    description: row.description,
  };
  if (level === 'instance') return common;
  return { ...common, hidden: row.hidden === 1, environment_scope: row.environment_scope };
}

/**
 * CI/CD variables (project_level_variables, group_level_variables, instance_level_ci_variables):
 * project maintainers, group owners and administrators manage them. Every route hands out or sets a
 * secret, so none is open to a composite identity.
 */
export async function ciVariablesRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const deps = ciDeps(options.context);
  const url = deps.settings.externalUrl;

  for (const level of ['project', 'group', 'instance'] as const) {
    const base = BASES[level];

    app.get(
      base,
      {
        config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.readVariable) },
        schema: parameters(PAGINATION, { in: 'query' }),
      },
      async (request: ListRequest, reply) => {
        const principal = requireScope(request, READ_API);
        const views = await listVariables(deps, actingUserOf(request, principal), targetOf(level, request));
        return sendArrayPage(
          request,
          reply,
          url,
          views.map((v) => present(level, v)),
        );
      },
    );

    app.post(
      base,
      {
        config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.createVariable) },
        schema: parameters(
          {
            key: { type: 'string', required: true, description: 'Key (letters, digits and _)' },
            value: { type: 'string', required: true, description: 'Value' },
            variable_type: { type: 'string', enum: VARIABLE_TYPES, description: 'Type (default env_var)' },
            protected: { type: 'boolean', description: 'Only for protected branches and tags' },
            masked: { type: 'boolean', description: 'Masked in job logs' },
            raw: { type: 'boolean', description: 'Not expanded' },
            environment_scope: {
              type: 'string',
              description: 'Environments it applies to (default *; not for instance variables)',
            },
            description: { type: 'string', description: 'Description' },

            masked_and_hidden: {
              type: 'boolean',
              description: 'Masked and never shown again (not for instance variables)',
            },
          },
          { in: 'body' },
        ),
      },
      async (request: ListRequest, reply) => {
        const principal = requireScope(request, WRITE_API);
        const params = apiParams(request);
        const value = optionalString(params, 'value');
        if (value === undefined) throw badRequest('value', 'is missing');
        const created = await createVariable(
          deps,
          actingUserOf(request, principal),
          targetOf(level, request),
          {
            key: requiredString(params, 'key'),
            value,
            variableType: optionalChoice(params, 'variable_type', VARIABLE_TYPES),
            protected: optionalBoolean(params, 'protected'),
            masked: optionalBoolean(params, 'masked'),
            maskedAndHidden: level === 'instance' ? undefined : optionalBoolean(params, 'masked_and_hidden'),
            raw: optionalBoolean(params, 'raw'),
            environmentScope: optionalString(params, 'environment_scope'),
            description: optionalString(params, 'description'),
          },
        );
        return reply.status(201).send(present(level, created));
      },
    );

    app.get(
      `${base}/:key`,
      {
        config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.readVariable) },
        schema: parameters(
          {
            filter: {
              type: 'object',
              description: 'filter[environment_scope]: the variable of this environment scope',
            },
          },
          { in: 'query' },
        ),
      },
      async (request: KeyRequest) => {
        const principal = requireScope(request, READ_API);
        const found = await findVariable(
          deps,
          actingUserOf(request, principal),
          targetOf(level, request),
          request.params.key,
          scopeFilter(apiParams(request)),
        );
        return present(level, found);
      },
    );

    app.put(
      `${base}/:key`,
      {
        config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.updateVariable) },
        schema: parameters(
          {
            value: { type: 'string', description: 'Value' },
            variable_type: { type: 'string', enum: VARIABLE_TYPES, description: 'Type (default env_var)' },
            protected: { type: 'boolean', description: 'Only for protected branches and tags' },
            masked: { type: 'boolean', description: 'Masked in job logs' },
            raw: { type: 'boolean', description: 'Not expanded' },
            environment_scope: {
              type: 'string',
              description: 'Environments it applies to (default *; not for instance variables)',
            },
            description: { type: 'string', description: 'Description' },
            filter: {
              type: 'object',
              description: 'filter[environment_scope]: the variable of this environment scope',
            },
          },
          { in: 'body' },
        ),
      },
      async (request: KeyRequest) => {
        const principal = requireScope(request, WRITE_API);
        const params = apiParams(request);
        const updated = await updateVariable(
          deps,
          actingUserOf(request, principal),
          targetOf(level, request),
          request.params.key,
          scopeFilter(params),
          {
            value: optionalString(params, 'value'),
            variableType: optionalChoice(params, 'variable_type', VARIABLE_TYPES),
            protected: optionalBoolean(params, 'protected'),
            masked: optionalBoolean(params, 'masked'),
            raw: optionalBoolean(params, 'raw'),
            environmentScope: optionalString(params, 'environment_scope'),
            description: optionalString(params, 'description'),
          },
        );
        return present(level, updated);
      },
    );

    app.delete(
      `${base}/:key`,
      {
        config: { ...CREATES_CREDENTIAL.config, ...requires(PERMISSIONS.deleteVariable) },
        schema: parameters(
          {
            filter: {
              type: 'object',
              description: 'filter[environment_scope]: the variable of this environment scope',
            },
          },
          { in: 'query' },
        ),
      },
      async (request: KeyRequest, reply) => {
        const principal = requireScope(request, WRITE_API);
        await deleteVariable(
          deps,
          actingUserOf(request, principal),
          targetOf(level, request),
          request.params.key,
          scopeFilter(apiParams(request)),
        );
        return reply.status(204).send();
      },
    );
  }
}
