import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { notFound, TesseraError } from '../../errors/tessera-error.ts';
import { canSee, type AccessFacts } from '../../identity/permissions.ts';
import { authorizeProject, type Permission } from '../../identity/resource-access.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import type { Project } from '../../store/schema.ts';
import { html, type HtmlValue, type SafeHtml } from '../html.ts';
import { renderPage } from '../layout.ts';
import type { WebDeps } from '../web-page.ts';
import { requireViewer, type Viewer } from '../web-request.ts';

/** A project sits under at most 20 levels of groups, as on the platform (and as git over HTTP allows). */
const MAX_NAMESPACE_DEPTH = 20;

/** Route parameters of a project page: `n0…nK` (the namespace), `project`, and the page's own ones. */
export type ProjectParams = Record<string, string>;

/** The project pages, in tab order: a project's own navigation. */
const PROJECT_TABS = [
  { key: 'pipelines', label: 'Pipelines', suffix: 'pipelines' },
  { key: 'repository', label: 'Settings → Repository', suffix: 'settings/repository' },
  { key: 'ci_cd', label: 'Settings → CI/CD', suffix: 'settings/ci_cd' },
] as const;

export type ProjectTab = (typeof PROJECT_TABS)[number]['key'];

/**
 * Registers `handler` under `/<namespace>/<project>/-/<suffix>` for every namespace depth. Fastify
 * has no multi-segment parameter in the middle of a path, so each depth is its own route, as git over
 * HTTP does it; `-` as a segment of its own cannot be a group or project path, so nothing collides.
 *
 * @example
 * projectRoute(app, 'GET', 'pipelines', handler); // /acme/app/-/pipelines, /acme/sub/app/-/pipelines, …
 */
export function projectRoute(
  app: FastifyInstance,
  method: 'GET' | 'POST',
  suffix: string,
  handler: RouteHandlerMethod,
): void {
  for (let depth = 1; depth <= MAX_NAMESPACE_DEPTH; depth++) {
    const namespace = Array.from({ length: depth }, (_, i) => `/:n${i}`).join('');
    app.route({ method, url: `${namespace}/:project/-/${suffix}`, handler });
  }
}

/** The full path a project page's URL names (its namespace segments, then the project). */
export function projectPathOf(params: ProjectParams): string {
  const segments: string[] = [];
  for (let i = 0; params[`n${i}`] !== undefined; i++) segments.push(params[`n${i}`]!);
  segments.push(params.project ?? '');
  return segments.join('/');
}

/** The address of one of a project's pages. */
export function projectPagePath(project: Pick<Project, 'full_path'>, suffix: string): string {
  return `/${project.full_path}/-/${suffix}`;
}

export interface ProjectView {
  viewer: Viewer;
  project: Project;
  facts: AccessFacts;
}

/**
 * The signed-in viewer and the project the URL names, when they may do what `permission` asks: a
 * hidden or missing project, and one they may see but not use this way, are both the 404 page.
 *
 * @example
 * const { viewer, project } = await requireProjectView(request, context, canManageProject);
 */
export async function requireProjectView(
  request: FastifyRequest,
  context: InstanceContext,
  permission: Permission = canSee,
): Promise<ProjectView> {
  const viewer = requireViewer(request, context);
  const ref = projectPathOf(request.params as ProjectParams);
  try {
    const { project, facts } = await authorizeProject(context.db, viewer.user, ref, permission);
    return { viewer, project, facts };
  } catch (error) {
    // A page someone may not use is not advertised: 404 as for a missing one (the 403 page talks CSRF).
    if (error instanceof TesseraError && error.code === 'forbidden') throw notFound('Page');
    throw error;
  }
}

/** A project page's document: the project's name and tabs above the page's own content. */
export function renderProjectPage(
  deps: WebDeps,
  view: ProjectView,
  page: {
    tab: ProjectTab;
    title: string;
    docs?: { label: string; href: string };
    scripts?: readonly string[];
    main: HtmlValue;
  },
): SafeHtml {
  const main = html`<p class="project-crumb">
      Project
      <a href="${projectPagePath(view.project, 'pipelines')}"><code>${view.project.full_path}</code></a>
    </p>
    ${projectTabs(view.project, page.tab)} ${page.main}`;
  return renderPage({
    title: page.title,
    viewer: view.viewer,
    nav: deps.nav,
    path: '/dashboard/projects',
    ...(page.docs ? { docs: page.docs } : {}),
    ...(page.scripts ? { scripts: page.scripts } : {}),
    main,
  });
}

function projectTabs(project: Project, current: ProjectTab): SafeHtml {
  return html`<nav class="tabs" aria-label="Project">
    <ul>
      ${PROJECT_TABS.map(
        (tab) =>
          html`<li>
            <a
              href="${projectPagePath(project, tab.suffix)}"
              ${tab.key === current ? html` aria-current="page"` : ''}
              >${tab.label}</a
            >
          </li>`,
      )}
    </ul>
  </nav>`;
}

/** A redirect after a form post back to a project page, with a notice key in the query. */
export function backTo(reply: FastifyReply, path: string, query: Record<string, string> = {}) {
  const search = new URLSearchParams(query).toString();
  return reply.redirect(search ? `${path}?${search}` : path, 303);
}
