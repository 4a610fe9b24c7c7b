import type { Namespace, Project } from '../../store/schema.ts';
import type { ProjectDeploySettingsView } from '../../tokens/deploy/project-deploy-settings.service.ts';
import { badge, timeTag } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';

/** One row of the job-token authentication log, as the job-token-scope service answers it. */
export interface AuthorizationRow {
  origin_project: { id: number; path_with_namespace: string } | null;
  last_authorized_at: string;
  count: number;
}

/**
 * Auto DevOps: what is in force and why (the instance default or the project's own setting), and a
 * three-way choice. Turning it on for a private or internal project creates `gitlab-deploy-token`.
 */
export function autoDevOpsSection(
  base: string,
  csrfToken: string,
  settings: ProjectDeploySettingsView,
  instanceDefault: boolean,
  deployTokensPage: string,
): SafeHtml {
  const override = settings.auto_devops_override;
  const onOff = (value: boolean) => (value ? 'on' : 'off');
  const source =
    override === null
      ? html`the <strong>instance default</strong> (${onOff(instanceDefault)})`
      : html`this <strong>project's setting</strong> (${onOff(override)})`;
  const choice = override === null ? 'instance' : onOff(override);
  const option = (value: string, label: SafeHtml | string) =>
    html`<div class="checkbox">
      <input
        type="radio"
        id="auto_devops_${value}"
        name="auto_devops"
        value="${value}"
        ${choice === value ? html` checked` : ''}
      />
      <label for="auto_devops_${value}">${label}</label>
    </div>`;
  return html`<section class="panel" aria-labelledby="auto-devops-heading">
    <h2 id="auto-devops-heading">Auto DevOps</h2>
    <p data-testid="auto-devops-state">
      Auto DevOps is
      ${badge(onOff(settings.auto_devops_enabled), settings.auto_devops_enabled ? 'active' : 'revoked')} for
      this project, by <span data-testid="auto-devops-source">${source}</span>.
    </p>
    <p class="hint">
      When it applies to a private or internal project, the project gets a <code>gitlab-deploy-token</code>
      (read_registry) that its CI jobs receive; turning it off revokes that token. See
      <a href="${deployTokensPage}">Deploy tokens</a>.
    </p>
    <form method="post" action="${base}/auto_devops">
      <input type="hidden" name="authenticity_token" value="${csrfToken}" />
      <fieldset>
        <legend>Auto DevOps for this project</legend>
        ${option('instance', `Follow the instance default (now ${onOff(instanceDefault)})`)}
        ${option('on', 'On for this project')} ${option('off', 'Off for this project')}
      </fieldset>
      <button type="submit" class="primary">Save Auto DevOps</button>
    </form>
  </section>`;
}

/** The job-token allowlist: who may come in with a job token, add and remove, and who did come. */
export function allowlistSection(
  base: string,
  csrfToken: string,
  state: {
    inboundEnabled: boolean;
    projects: readonly Project[];
    groups: readonly Namespace[];
    log: readonly AuthorizationRow[];
  },
): SafeHtml {
  const entries = [
    ...state.projects.map((p) => ({ type: 'project', id: p.id, path: p.full_path })),
    ...state.groups.map((g) => ({ type: 'group', id: g.id, path: g.full_path })),
  ];
  return html`<section class="panel" aria-labelledby="allowlist-heading">
    <h2 id="allowlist-heading">Job token permissions</h2>
    <p class="docs-link">How this works: <a href="/help/flows/job-token">CI job token flow</a></p>
    <p>
      ${
        state.inboundEnabled
          ? html`Only this project and the projects and groups below may reach it with a CI job token (their
            jobs still act only as far as their users may).`
          : html`<strong>Any project</strong> may reach this project with a CI job token (the allowlist is
              off).`
      }
    </p>
    ${
      entries.length === 0
        ? html`<p class="muted" data-testid="allowlist-empty">No projects or groups are allowlisted.</p>`
        : html`<div class="table-wrap">
            <table data-testid="allowlist-table">
              <thead>
                <tr>
                  <th scope="col">Type</th>
                  <th scope="col">Path</th>
                  <th scope="col"><span class="muted">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                ${entries.map(
                  (entry) =>
                    html`<tr data-entry="${entry.type}:${entry.path}">
                      <td>${entry.type}</td>
                      <td><code>${entry.path}</code></td>
                      <td class="actions">
                        <form
                          method="post"
                          action="${base}/job_token_allowlist/remove"
                          data-confirm="Remove ${entry.path}? Its jobs are refused from their next request on."
                        >
                          <input type="hidden" name="authenticity_token" value="${csrfToken}" />
                          <input type="hidden" name="type" value="${entry.type}" />
                          <input type="hidden" name="id" value="${entry.id}" />
                          <button type="submit" class="danger" aria-label="Remove ${entry.path}">
                            Remove
                          </button>
                        </form>
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
    }
    <form
      method="post"
      action="${base}/job_token_allowlist"
      class="filters"
      aria-label="Add to the allowlist"
    >
      <input type="hidden" name="authenticity_token" value="${csrfToken}" />
      <div>
        <label for="allowlist_type">Add a</label>
        <select id="allowlist_type" name="type">
          <option value="project">project</option>
          <option value="group">group</option>
        </select>
      </div>
      <div>
        <label for="allowlist_path">Project or group path</label>
        <input
          type="text"
          id="allowlist_path"
          name="path"
          required
          maxlength="255"
          placeholder="group/project"
        />
      </div>
      <div><button type="submit">Add</button></div>
    </form>
    <h3>Authentication log</h3>
    <p class="hint">Jobs of other projects that authenticated to this one with their job token.</p>
    ${authorizationLog(state.log)}
  </section>`;
}

function authorizationLog(log: readonly AuthorizationRow[]): SafeHtml {
  if (log.length === 0)
    return html`<p class="muted" data-testid="auth-log-empty">No job of another project came in yet.</p>`;
  return html`<div class="table-wrap">
    <table data-testid="auth-log-table">
      <thead>
        <tr>
          <th scope="col">Origin project</th>
          <th scope="col">Last authenticated</th>
          <th scope="col">Times</th>
        </tr>
      </thead>
      <tbody>
        ${log.map(
          (row) =>
            html`<tr>
              <td><code>${row.origin_project?.path_with_namespace ?? '(deleted project)'}</code></td>
              <td>${timeTag(row.last_authorized_at)}</td>
              <td>${row.count}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}
