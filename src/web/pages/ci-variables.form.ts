import type { FastifyInstance, FastifyReply } from 'fastify';
import { ciDeps } from '../../ci/ci-deps.ts';
import { createVariable, deleteVariable } from '../../ci/variables/ci-variable.service.ts';
import { canManageProject } from '../../identity/permissions.ts';
import type { WebDeps } from '../web-page.ts';
import { formFields, textField } from '../web-request.ts';
import { backTo, projectRoute, requireProjectView, type ProjectView } from './project-page.ts';

/**
 * The add and delete forms of Settings → CI/CD → Variables, through the same service as the REST
 * API. A refusal (a bad key, an unmaskable value, a credential's name) is shown on the page.
 */
export function ciVariableForms(
  app: FastifyInstance,
  deps: WebDeps,
  suffix: string,
  here: (view: ProjectView) => string,
  refused: (reply: FastifyReply, view: ProjectView, error: unknown) => Promise<unknown>,
): void {
  const { context } = deps;
  const ci = ciDeps(context);

  projectRoute(app, 'POST', `${suffix}/variables`, async (request, reply) => {
    const view = await requireProjectView(request, context, canManageProject);
    const fields = formFields(request);
    const visibility = textField(fields, 'visibility');
    try {
      await createVariable(
        ci,
        { user: view.viewer.user, ip: request.ip },
        { level: 'project', ref: String(view.project.id) },
        {
          key: textField(fields, 'key').trim(),
          value: textField(fields, 'value'),
          variableType: textField(fields, 'variable_type') === 'file' ? 'file' : 'env_var',
          protected: textField(fields, 'protected') === 'true',
          masked: visibility === 'masked',
          maskedAndHidden: visibility === 'masked_and_hidden',
          environmentScope: textField(fields, 'environment_scope').trim() || '*',
          description: textField(fields, 'description') || undefined,
        },
      );
    } catch (error) {
      return refused(reply, view, error);
    }
    return backTo(reply, `${here(view)}#variables`, { done: 'variable_added' });
  });

  projectRoute(app, 'POST', `${suffix}/variables/remove`, async (request, reply) => {
    const view = await requireProjectView(request, context, canManageProject);
    const fields = formFields(request);
    try {
      await deleteVariable(
        ci,
        { user: view.viewer.user, ip: request.ip },
        { level: 'project', ref: String(view.project.id) },
        textField(fields, 'key'),
        textField(fields, 'environment_scope') || '*',
      );
    } catch (error) {
      return refused(reply, view, error);
    }
    return backTo(reply, `${here(view)}#variables`, { done: 'variable_removed' });
  });
}
