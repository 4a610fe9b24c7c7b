import { notFound } from '../../errors/tessera-error.ts';
import { canReadRepository } from '../../identity/permissions.ts';
import type { Job, Pipeline } from '../../store/ci-schema.ts';
import { findProjectJob, listPipelineJobs } from '../../store/ci-jobs.repository.ts';
import { countPipelines, findProjectPipeline, listPipelines } from '../../store/ci-pipelines.repository.ts';
import { badge, timeTag } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';
import { sendHtml } from '../send-html.ts';
import type { WebPage } from '../web-page.ts';
import { queryText } from '../web-request.ts';
import { pager, pageNumber } from './pager.ts';
import { projectPagePath, projectRoute, renderProjectPage, requireProjectView } from './project-page.ts';

const PER_PAGE = 20;
/** Statuses that read as good, bad or neither; the badge's class colours them. */
const STATUS_KIND: Record<string, string> = {
  success: 'pass',
  failed: 'fail',
  canceled: 'revoked',
  skipped: 'expired',
};

const docs = {
  label: 'CI job token: a push, a pipeline, a runner, and a credential that dies with its job',
  href: '/help/flows/job-token',
};

/**
 * Project → Pipelines (`/<project>/-/pipelines`, each with its jobs) and a job with its log
 * (`/<project>/-/jobs/<id>`). The log is shown as the runner sent it: masked variables (the job
 * token, ID tokens, deploy passwords) were replaced by `[MASKED]` before they left the runner.
 */
export const pipelinesPage: WebPage = {
  routes(app, deps) {
    const { context } = deps;
    const { db } = context;

    projectRoute(app, 'GET', 'pipelines', async (request, reply) => {
      const view = await requireProjectView(request, context, canReadRepository);
      const page = pageNumber(queryText(request, 'page'));
      const filter = { projectId: view.project.id };
      const [pipelines, total] = await Promise.all([
        listPipelines(db, filter, { limit: PER_PAGE, offset: (page - 1) * PER_PAGE }),
        countPipelines(db, filter),
      ]);
      const jobs = await Promise.all(pipelines.map((p) => listPipelineJobs(db, p.id)));
      const jobsPath = (job: Job) => projectPagePath(view.project, `jobs/${job.id}`);
      const main = html`<h2>Pipelines <span class="muted">(${total})</span></h2>
        ${
          pipelines.length === 0
            ? html`<p class="muted">No pipelines yet: push a <code>.gitlab-ci.yml</code> to start one.</p>`
            : html`<div class="table-wrap">
                <table data-testid="pipelines-table">
                  <thead>
                    <tr>
                      <th scope="col">Pipeline</th>
                      <th scope="col">Status</th>
                      <th scope="col">Source</th>
                      <th scope="col">Ref</th>
                      <th scope="col">Commit</th>
                      <th scope="col">Created</th>
                      <th scope="col">Jobs</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${pipelines.map(
                      (pipeline, i) =>
                        html`<tr data-pipeline-id="${pipeline.id}">
                          <td>#${pipeline.id}</td>
                          <td>${statusBadge(pipeline.status)}${yamlErrors(pipeline)}</td>
                          <td>${pipeline.source}</td>
                          <td><code>${pipeline.ref}</code>${pipeline.tag ? ' (tag)' : ''}</td>
                          <td><code title="${pipeline.sha}">${pipeline.sha.slice(0, 8)}</code></td>
                          <td>${timeTag(pipeline.created_at)}</td>
                          <td>
                            <ul class="plain">
                              ${jobs[i]!.map(
                                (job) =>
                                  html`<li>
                                    <a href="${jobsPath(job)}">${job.name}</a> ${statusBadge(job.status)}
                                  </li>`,
                              )}
                            </ul>
                          </td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
        }
        ${pager(projectPagePath(view.project, 'pipelines'), {}, page, page * PER_PAGE < total)}`;
      return sendHtml(
        reply,
        renderProjectPage(deps, view, { tab: 'pipelines', title: 'Pipelines', docs, main }),
      );
    });

    projectRoute(app, 'GET', 'jobs/:job_id', async (request, reply) => {
      const view = await requireProjectView(request, context, canReadRepository);
      const raw = (request.params as Record<string, string>).job_id ?? '';
      const job = /^\d{1,15}$/.test(raw) ? await findProjectJob(db, view.project.id, Number(raw)) : undefined;
      if (!job) throw notFound('Job');
      const pipeline = await findProjectPipeline(db, view.project.id, job.pipeline_id);
      const main = html`<h2>Job <code>${job.name}</code> #${job.id}</h2>
        <dl class="facts" data-testid="job-facts">
          <dt>Status</dt>
          <dd>
            ${statusBadge(job.status)}${job.failure_reason ? html` <span class="hint">(${job.failure_reason})</span>` : ''}
          </dd>
          <dt>Stage</dt>
          <dd>${job.stage}</dd>
          <dt>Pipeline</dt>
          <dd>
            <a href="${projectPagePath(view.project, 'pipelines')}">#${job.pipeline_id}</a>
            ${pipeline ? html` on <code>${pipeline.ref}</code> (${pipeline.source})` : ''}
          </dd>
          <dt>Runner</dt>
          <dd>${job.runner_id === null ? 'none yet' : `#${job.runner_id}`}</dd>
          <dt>Started</dt>
          <dd>${timeTag(job.started_at)}</dd>
          <dt>Finished</dt>
          <dd>${timeTag(job.finished_at)}</dd>
        </dl>
        <h3>Log</h3>
        <p class="hint">
          Masked variables (the job token, ID tokens, deploy passwords) appear as <code>[MASKED]</code>: the
          runner replaced them before the log left the job.
        </p>
        <pre class="job-log" data-testid="job-log">${job.trace || '(no output yet)'}</pre>`;
      return sendHtml(
        reply,
        renderProjectPage(deps, view, { tab: 'pipelines', title: `Job ${job.name}`, docs, main }),
      );
    });
  },
};

function statusBadge(status: string): SafeHtml {
  return badge(status, STATUS_KIND[status] ?? 'active');
}

function yamlErrors(pipeline: Pipeline): SafeHtml {
  return pipeline.yaml_errors ? html`<br /><span class="hint">${pipeline.yaml_errors}</span>` : html``;
}
