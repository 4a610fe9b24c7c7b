import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { ciDeps } from '../../ci/ci-deps.ts';
import {
  createVariable,
  deleteVariable,
  type VariableTarget,
} from '../../ci/variables/ci-variable.service.ts';
import type { ActingUser } from '../../identity/acting-user.ts';
import type { WebDeps } from '../web-page.ts';
import { formFields, textField } from '../web-request.ts';
import { backTo } from './project-page.ts';

/** Where a variables form posts from: the page's own state, who acts, whose variables, and the page. */
export interface VariablesPlace<View> {
  /** Checks that the viewer may manage these variables (the 404 page otherwise). */
  resolve(request: FastifyRequest): Promise<{
    view: View;
    acting: ActingUser;
    target: VariableTarget;
    here: string;
  }>;
  /** Shows the page again with the refusal (a bad key, an unmaskable value, a credential's name). */
  refused(reply: FastifyReply, view: View, error: unknown): Promise<unknown>;
}

/**
 * The add and delete forms of a Variables section (a project's, a group's or the instance's), through
 * the same service as the REST API.
 */
export function variableFormHandlers<View>(
  deps: WebDeps,
  place: VariablesPlace<View>,
): { add: RouteHandlerMethod; remove: RouteHandlerMethod } {
  const ci = ciDeps(deps.context);
  return {
    async add(request, reply) {
      const { view, acting, target, here } = await place.resolve(request);
      const fields = formFields(request);
      const visibility = textField(fields, 'visibility');
      try {
        await createVariable(ci, acting, target, {
          key: textField(fields, 'key').trim(),
          value: textField(fields, 'value'),
          variableType: textField(fields, 'variable_type') === 'file' ? 'file' : 'env_var',
          protected: textField(fields, 'protected') === 'true',
          masked: visibility === 'masked',
          maskedAndHidden: visibility === 'masked_and_hidden',
          environmentScope: textField(fields, 'environment_scope').trim() || '*',
          description: textField(fields, 'description') || undefined,
        });
      } catch (error) {
        return place.refused(reply, view, error);
      }
      return backTo(reply, `${here}#variables`, { done: 'variable_added' });
    },
    async remove(request, reply) {
      const { view, acting, target, here } = await place.resolve(request);
      const fields = formFields(request);
      try {
        await deleteVariable(
          ci,
          acting,
          target,
          textField(fields, 'key'),
          textField(fields, 'environment_scope') || '*',
        );
      } catch (error) {
        return place.refused(reply, view, error);
      }
      return backTo(reply, `${here}#variables`, { done: 'variable_removed' });
    },
  };
}
