import { TesseraError } from '../../errors/tessera-error.ts';
import { ACCESS_LEVELS } from '../../identity/access-levels.ts';
import { createProject } from '../../identity/project.service.ts';
import { membershipScope } from '../../identity/visibility-scope.ts';
import { listAccessibleGroups } from '../../store/namespaces.repository.ts';
import { countAccessibleProjects, listAccessibleProjects } from '../../store/projects.repository.ts';
import type { Visibility } from '../../store/schema.ts';
import { html, type SafeHtml } from '../html.ts';
import { notice, renderPage } from '../layout.ts';
import { sendHtml } from '../send-html.ts';
import { fieldProblem } from '../token-forms.ts';
import type { WebDeps, WebPage } from '../web-page.ts';
import { formFields, queryText, requireViewer, textField, type Viewer } from '../web-request.ts';
import { namespaceSelect, visibilityOf, visibilityRadios } from './namespace-forms.ts';
import { pager, pageNumber } from './pager.ts';
import { projectPagePath } from './project-page.ts';

const PATH = '/dashboard/projects';
const PER_PAGE = 50;
/** The namespace choices: a person in more groups than this creates there through the API. */
const NAMESPACES = 200;
const LABELS: Record<string, string> = {
  name: 'Project name',
  path: 'Project slug',
  visibility_level: 'Visibility',
};

interface ProjectValues {
  name: string;
  path: string;
  namespaceId: string;
  visibility: Visibility;
}

/** Your projects: those you are a member of (directly or through a group), with their pages; a new one. */
export const projectsPage: WebPage = {
  nav: { section: 'work', label: 'Projects', path: PATH },
  routes(app, deps) {
    const { context } = deps;
    app.get(PATH, async (request, reply) => {
      const viewer = requireViewer(request, context);
      const page = pageNumber(queryText(request, 'page'));
      return sendHtml(reply, await render(deps, viewer, page, { created: queryText(request, 'created') }));
    });

    app.post(PATH, async (request, reply) => {
      const viewer = requireViewer(request, context);
      const fields = formFields(request);
      const values: ProjectValues = {
        name: textField(fields, 'name'),
        path: textField(fields, 'path'),
        namespaceId: textField(fields, 'namespace_id'),
        visibility: visibilityOf(textField(fields, 'visibility')) ?? 'private',
      };
      try {
        const project = await createProject(
          context.db,
          context.clock,
          { user: viewer.user, ip: request.ip ?? null },
          {
            name: values.name,
            ...(values.path ? { path: values.path } : {}),
            // Empty: the creator's own namespace.
            ...(/^\d{1,15}$/.test(values.namespaceId) ? { namespace: Number(values.namespaceId) } : {}),
            visibility: values.visibility,
          },
        );
        return reply.redirect(`${PATH}?created=${encodeURIComponent(project.full_path)}`, 303);
      } catch (error) {
        if (
          !(error instanceof TesseraError) ||
          !['bad_request', 'forbidden', 'not_found'].includes(error.code)
        )
          throw error;
        const problem =
          error.code === 'bad_request' ? fieldProblem(error, LABELS) : 'You may not create a project there.';
        return sendHtml(reply, await render(deps, viewer, 1, { values, problem }), error.status);
      }
    });
  },
};

async function render(
  { context, nav }: WebDeps,
  viewer: Viewer,
  page: number,
  state: { created?: string; values?: ProjectValues; problem?: string },
): Promise<SafeHtml> {
  const [scope, creatable] = await Promise.all([
    membershipScope(context.db, viewer.user),
    membershipScope(context.db, viewer.user, ACCESS_LEVELS.developer),
  ]);
  const query = scope.projects ? { access: scope.projects } : {};
  const [projects, total, groups] = await Promise.all([
    listAccessibleProjects(context.db, { ...query, limit: PER_PAGE, offset: (page - 1) * PER_PAGE }),
    countAccessibleProjects(context.db, query),
    listAccessibleGroups(context.db, {
      ...(creatable.groups ? { access: creatable.groups } : {}),
      limit: NAMESPACES,
      offset: 0,
    }),
  ]);
  const values = state.values ?? { name: '', path: '', namespaceId: '', visibility: 'private' };
  const main = html`${
      state.created ? notice('success', html`Project <code>${state.created}</code> created.`) : ''
    }
    ${state.problem ? notice('error', state.problem) : ''}
    <p>Projects you are a member of, directly or through a group.</p>
    ${
      projects.length === 0
        ? html`<p class="muted">You are not a member of any project yet.</p>`
        : html`<div class="table-wrap">
            <table data-testid="projects-table">
              <thead>
                <tr>
                  <th scope="col">Project</th>
                  <th scope="col">Visibility</th>
                  <th scope="col">Pages</th>
                </tr>
              </thead>
              <tbody>
                ${projects.map(
                  (project) =>
                    html`<tr>
                      <td><code>${project.full_path}</code></td>
                      <td>${project.visibility}</td>
                      <td>
                        <a href="${projectPagePath(project, 'pipelines')}">Pipelines</a> ·
                        <a href="${projectPagePath(project, 'settings/repository')}">Deploy tokens</a> ·
                        <a href="${projectPagePath(project, 'settings/ci_cd')}">CI/CD settings</a>
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
    }
    ${pager(PATH, {}, page, page * PER_PAGE < total)}
    <form method="post" action="${PATH}" class="panel" aria-labelledby="new-project-heading">
      <h2 id="new-project-heading">New project</h2>
      <input type="hidden" name="authenticity_token" value="${viewer.csrfToken}" />
      <label for="project_name">Project name</label>
      <input type="text" id="project_name" name="name" required maxlength="255" value="${values.name}" />
      <label for="project_path">Project slug <span class="hint">(empty: made from the name)</span></label>
      <input type="text" id="project_path" name="path" maxlength="255" value="${values.path}" />
      ${namespaceSelect(
        'project_namespace',
        'Namespace',
        { value: '', label: `${viewer.user.username} (yours)` },
        groups,
        values.namespaceId,
      )}
      ${visibilityRadios('project_visibility_', values.visibility)}
      <button type="submit" class="primary">Create project</button>
    </form>`;
  return renderPage({ title: 'Projects', viewer, nav, path: PATH, main });
}
