import type { FastifyInstance } from 'fastify';
import { ciDeps } from '../../ci/ci-deps.ts';
import { createRunner, RUNNER_ENVIRONMENTS, RUNNER_TYPES } from '../../ci/runner.service.ts';
import { badRequest } from '../../errors/tessera-error.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { apiParams, optionalBoolean, optionalChoice, optionalString, type ApiParams } from '../api-params.ts';
import { actingUserOf, requireScope } from '../authenticate.ts';
import { CREATES_CREDENTIAL } from './composite-identity-boundary.ts';

/** `POST /api/v4/user/runners`: an administrator or a project maintainer registers a runner and gets its token once. */
export async function runnersRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const deps = ciDeps(options.context);

  app.post('/api/v4/user/runners', CREATES_CREDENTIAL, async (request, reply) => {
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
  });
}

/** `tag_list` as an array (`tag_list[]=a`) or a comma-separated string, as the platform takes it. */
function tagList(params: ApiParams): string[] | undefined {
  const raw = params.tag_list ?? params['tag_list[]'];
  if (raw === undefined || raw === null || raw === '') return undefined;
  const list = Array.isArray(raw) ? raw : String(raw).split(',');
  if (!list.every((t) => typeof t === 'string')) throw badRequest('tag_list', 'is invalid');
  return (list as string[]).map((t) => t.trim()).filter((t) => t !== '');
}
