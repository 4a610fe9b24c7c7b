import { membershipScope } from '../../identity/visibility-scope.ts';
import { countAccessibleProjects, listAccessibleProjects } from '../../store/projects.repository.ts';
import { html } from '../html.ts';
import { renderPage } from '../layout.ts';
import { sendHtml } from '../send-html.ts';
import type { WebPage } from '../web-page.ts';
import { queryText, requireViewer } from '../web-request.ts';
import { pager, pageNumber } from './pager.ts';
import { projectPagePath } from './project-page.ts';

const PATH = '/dashboard/projects';
const PER_PAGE = 50;

/** Your projects: those you are a member of (directly or through a group), with their pages. */
export const projectsPage: WebPage = {
  nav: { section: 'work', label: 'Projects', path: PATH },
  routes(app, { context, nav }) {
    app.get(PATH, async (request, reply) => {
      const viewer = requireViewer(request, context);
      const page = pageNumber(queryText(request, 'page'));
      const scope = await membershipScope(context.db, viewer.user);
      const query = scope.projects ? { access: scope.projects } : {};
      const [projects, total] = await Promise.all([
        listAccessibleProjects(context.db, { ...query, limit: PER_PAGE, offset: (page - 1) * PER_PAGE }),
        countAccessibleProjects(context.db, query),
      ]);
      const main = html`<p>Projects you are a member of, directly or through a group.</p>
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
        ${pager(PATH, {}, page, page * PER_PAGE < total)}`;
      return sendHtml(reply, renderPage({ title: 'Projects', viewer, nav, path: PATH, main }));
    });
  },
};
