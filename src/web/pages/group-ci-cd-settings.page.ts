import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { ciDeps } from '../../ci/ci-deps.ts';
import { listVariables } from '../../ci/variables/ci-variable.service.ts';
import { notFound, TesseraError } from '../../errors/tessera-error.ts';
import { canAdministerGroup } from '../../identity/permissions.ts';
import { authorizeGroup } from '../../identity/resource-access.ts';
import type { Namespace } from '../../store/schema.ts';
import { html } from '../html.ts';
import { notice, renderPage } from '../layout.ts';
import { sendHtml } from '../send-html.ts';
import type { WebDeps, WebPage } from '../web-page.ts';
import { queryText, requireViewer, type Viewer } from '../web-request.ts';
import { variableFormHandlers } from './ci-variables.form.ts';
import { variablesSection } from './ci-variables.view.ts';

/** Groups nest at most 20 levels deep, as projects' namespaces do. */
const MAX_GROUP_DEPTH = 20;
const SUFFIX = '-/settings/ci_cd';

const DONE: Record<string, string> = {
  variable_added:
    'Variable added: jobs of the projects in this group and its subgroups that start from now on get it.',
  variable_removed: 'Variable deleted.',
};

interface GroupView {
  viewer: Viewer;
  group: Namespace;
}

/** The address of a group's CI/CD settings. */
export function groupCiCdPath(group: Pick<Namespace, 'full_path'>): string {
  return `/groups/${group.full_path}/${SUFFIX}`;
}

/**
 * A group's Settings → CI/CD: its CI/CD variables, which reach the jobs of every project below it.
 * For the group's owners (and administrators), as the REST API allows; everyone else gets the 404 page.
 */
export const groupCiCdSettingsPage: WebPage = {
  routes(app, deps) {
    const { context } = deps;
    const requireGroupView = async (request: FastifyRequest): Promise<GroupView> => {
      const viewer = requireViewer(request, context);
      try {
        const { group } = await authorizeGroup(
          context.db,
          viewer.user,
          groupPathOf(request),
          canAdministerGroup,
        );
        return { viewer, group };
      } catch (error) {
        if (error instanceof TesseraError && error.code === 'forbidden') throw notFound('Page');
        throw error;
      }
    };
    const forms = variableFormHandlers<GroupView>(deps, {
      async resolve(request) {
        const view = await requireGroupView(request);
        return {
          view,
          acting: { user: view.viewer.user, ip: request.ip },
          target: { level: 'group', ref: String(view.group.id) },
          here: groupCiCdPath(view.group),
        };
      },
      refused: async (reply: FastifyReply, view: GroupView, error: unknown) => {
        if (!(error instanceof TesseraError) || error.code !== 'bad_request') throw error;
        return sendHtml(reply, await page(deps, view, { problem: error.message }), 400);
      },
    });
    groupRoute(app, 'POST', `${SUFFIX}/variables`, forms.add);
    groupRoute(app, 'POST', `${SUFFIX}/variables/remove`, forms.remove);
    groupRoute(app, 'GET', SUFFIX, async (request, reply) => {
      const view = await requireGroupView(request);
      const done = DONE[queryText(request, 'done')];
      return sendHtml(reply, await page(deps, view, done ? { done } : {}));
    });
  },
};

/** Registers `handler` under `/groups/<group path>/<suffix>` for every nesting depth. */
function groupRoute(
  app: FastifyInstance,
  method: 'GET' | 'POST',
  suffix: string,
  handler: RouteHandlerMethod,
): void {
  for (let depth = 1; depth <= MAX_GROUP_DEPTH; depth++) {
    const path = Array.from({ length: depth }, (_, i) => `/:g${i}`).join('');
    app.route({ method, url: `/groups${path}/${suffix}`, handler });
  }
}

function groupPathOf(request: FastifyRequest): string {
  const params = request.params as Record<string, string>;
  const segments: string[] = [];
  for (let i = 0; params[`g${i}`] !== undefined; i++) segments.push(params[`g${i}`]!);
  return segments.join('/');
}

async function page(deps: WebDeps, view: GroupView, state: { done?: string; problem?: string }) {
  const variables = await listVariables(
    ciDeps(deps.context),
    { user: view.viewer.user, ip: '' },
    { level: 'group', ref: String(view.group.id) },
  );
  const main = html`<p class="project-crumb">Group <code>${view.group.full_path}</code></p>
    ${state.done ? notice('success', state.done) : ''} ${state.problem ? notice('error', state.problem) : ''}
    ${variablesSection(groupCiCdPath(view.group), view.viewer.csrfToken, variables, 'group')}`;
  return renderPage({
    title: 'Group CI/CD settings',
    viewer: view.viewer,
    nav: deps.nav,
    path: '/dashboard/projects',
    main,
  });
}
