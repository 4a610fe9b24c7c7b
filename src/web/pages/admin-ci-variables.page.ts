import type { FastifyReply } from 'fastify';
import { ciDeps } from '../../ci/ci-deps.ts';
import { listVariables } from '../../ci/variables/ci-variable.service.ts';
import { TesseraError } from '../../errors/tessera-error.ts';
import { html } from '../html.ts';
import { notice, renderPage } from '../layout.ts';
import { sendHtml } from '../send-html.ts';
import type { WebDeps, WebPage } from '../web-page.ts';
import { queryText, requireAdminViewer, type Viewer } from '../web-request.ts';
import { variableFormHandlers } from './ci-variables.form.ts';
import { variablesSection } from './ci-variables.view.ts';

const PATH = '/admin/ci/variables';
/** The section's forms post to `<base>/variables` and `<base>/variables/remove`. */
const BASE = '/admin/ci';

const DONE: Record<string, string> = {
  variable_added: 'Variable added: jobs of every project that start from now on get it.',
  variable_removed: 'Variable deleted.',
};

/** Admin → CI/CD variables: the instance's variables, which reach every project's jobs. */
export const adminCiVariablesPage: WebPage = {
  nav: { section: 'admin', label: 'CI/CD variables', path: PATH },
  routes(app, deps) {
    const { context } = deps;
    const forms = variableFormHandlers<Viewer>(deps, {
      async resolve(request) {
        const viewer = requireAdminViewer(request, context);
        return {
          view: viewer,
          acting: { user: viewer.user, ip: request.ip },
          target: { level: 'instance' },
          here: PATH,
        };
      },
      refused: async (reply: FastifyReply, viewer: Viewer, error: unknown) => {
        if (!(error instanceof TesseraError) || error.code !== 'bad_request') throw error;
        return sendHtml(reply, await page(deps, viewer, { problem: error.message }), 400);
      },
    });
    app.post(PATH, forms.add);
    app.post(`${PATH}/remove`, forms.remove);
    app.get(PATH, async (request, reply) => {
      const viewer = requireAdminViewer(request, context);
      const done = DONE[queryText(request, 'done')];
      return sendHtml(reply, await page(deps, viewer, done ? { done } : {}));
    });
  },
};

async function page(deps: WebDeps, viewer: Viewer, state: { done?: string; problem?: string }) {
  const { context } = deps;
  const variables = await listVariables(
    ciDeps(context),
    { user: viewer.user, ip: '' },
    { level: 'instance' },
  );
  const main = html`${state.done ? notice('success', state.done) : ''}
  ${state.problem ? notice('error', state.problem) : ''}
  ${variablesSection(BASE, viewer.csrfToken, variables, 'instance')}`;
  return renderPage({ title: 'Instance CI/CD variables', viewer, nav: deps.nav, path: PATH, main });
}
