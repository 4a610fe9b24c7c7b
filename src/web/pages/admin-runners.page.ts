import type { FastifyRequest } from 'fastify';
import { ciDeps } from '../../ci/ci-deps.ts';
import { deleteRunnerById, listAllRunners, resetRunnerToken } from '../../ci/runner-admin.service.ts';
import type { Runner } from '../../store/ci-schema.ts';
import { findProjectById } from '../../store/projects.repository.ts';
import { badge } from '../format.ts';
import { html } from '../html.ts';
import { notice, renderPage } from '../layout.ts';
import { NewTokenFlash } from '../new-token-flash.ts';
import { sendHtml } from '../send-html.ts';
import type { WebPage } from '../web-page.ts';
import { queryText, requireAdminViewer } from '../web-request.ts';
import { newCiTokenPanel, runnersSection } from './ci-credentials.view.ts';
import { projectPagePath } from './project-page.ts';

const PATH = '/admin/runners';
type RunnerParams = { Params: { runner_id: string } };

/**
 * Admin → Runners: every runner, instance and project, with its status and its token's state; reset a
 * runner's token (shown once) or delete the runner. The same services as `/api/v4/runners/all` and
 * `DELETE /api/v4/runners/:id`, and the same list as a project's Settings → CI/CD.
 */
export const adminRunnersPage: WebPage = {
  nav: { section: 'admin', label: 'Runners', path: PATH },
  routes(app, { context, nav }) {
    const ci = ciDeps(context);
    const flash = new NewTokenFlash(
      context.secrets.box,
      context.clock,
      context.settings,
      PATH,
      '_tessera_new_admin_runner_token',
    );
    const runnerId = (request: FastifyRequest<RunnerParams>) =>
      /^\d{1,15}$/.test(request.params.runner_id) ? Number(request.params.runner_id) : NaN;

    app.get(PATH, async (request, reply) => {
      const viewer = requireAdminViewer(request, context);
      const shown = flash.take(request, reply, viewer);
      const runners = await listAllRunners(ci, viewer.user, {});
      const projectIds = [
        ...new Set(runners.flatMap((runner) => (runner.project_id ? [runner.project_id] : []))),
      ];
      const projects = new Map(
        (await Promise.all(projectIds.map((id) => findProjectById(context.db, id)))).flatMap((project) =>
          project ? [[project.id, project] as const] : [],
        ),
      );
      const owner = (runner: Runner) => {
        const project = runner.project_id === null ? undefined : projects.get(runner.project_id);
        if (runner.runner_type === 'instance_type') return 'instance';
        return project
          ? html`project
              <a href="${projectPagePath(project, 'settings/ci_cd')}#runners">${project.full_path}</a>`
          : 'project';
      };
      // Runner tokens have no expiry here: a token works until it is reset or the runner is deleted.
      const token = (runner: Runner) =>
        runner.contacted_at === null ? badge('never used', 'muted') : badge('active', 'active');
      const done = queryText(request, 'done') === 'runner_deleted';
      const main = html`${shown ? newCiTokenPanel(shown) : ''}
      ${done ? notice('success', 'Runner deleted: its token is refused, and the jobs it was running failed.') : ''}
      ${runnersSection('/admin', viewer.csrfToken, runners, context.clock.now(), {
        hint: html`Every runner of the instance. A runner's token does not expire: it works until it is reset
        (the old one stops at once, the new one is shown once) or the runner is deleted (its running jobs
        fail).`,
        empty: 'No runner is registered.',
        columns: [
          { heading: 'Type', cell: owner },
          { heading: 'Token', cell: token },
        ],
      })}`;
      return sendHtml(reply, renderPage({ title: 'Runners', viewer, nav, path: PATH, main }));
    });

    app.post<RunnerParams>(`${PATH}/:runner_id/reset_token`, async (request, reply) => {
      const viewer = requireAdminViewer(request, context);
      const { runner, token } = await resetRunnerToken(
        ci,
        { user: viewer.user, ip: request.ip ?? null },
        runnerId(request),
      );
      flash.put(reply, viewer, {
        action: 'rotated',
        tokenId: runner.id,
        tokenName: runner.description || `#${runner.id}`,
        plaintext: token,
      });
      return reply.redirect(PATH, 303);
    });

    app.post<RunnerParams>(`${PATH}/:runner_id/delete`, async (request, reply) => {
      const viewer = requireAdminViewer(request, context);
      await deleteRunnerById(ci, { user: viewer.user, ip: request.ip ?? null }, runnerId(request));
      return reply.redirect(`${PATH}?done=runner_deleted`, 303);
    });
  },
};
