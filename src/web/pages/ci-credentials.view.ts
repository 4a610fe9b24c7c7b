import { runnerStatus, runnerTags } from '../../ci/runner-admin.service.ts';
import type { Runner } from '../../store/ci-schema.ts';
import type { PipelineTrigger } from '../../store/pipeline-triggers.tables.ts';
import { badge, timeTag } from '../format.ts';
import { html, type HtmlValue, type SafeHtml } from '../html.ts';
import type { NewTokenNotice } from '../new-token-flash.ts';
import { oneTimeSecretField } from '../token-forms.ts';

/*
 * The project's CI credentials on Settings → CI/CD: its pipeline trigger tokens and its runners. A
 * token is shown once, when it is made or reset; the lists show a trigger's first characters only.
 */

/** The one time a new trigger token or runner token is on the page. */
export function newCiTokenPanel(shown: NewTokenNotice): SafeHtml {
  const what = shown.action === 'rotated' ? 'runner authentication token' : 'pipeline trigger token';
  return html`<section class="panel notice success" role="status" aria-labelledby="new-ci-token-heading">
    <h2 id="new-ci-token-heading">Your new ${what}</h2>
    ${
      shown.action === 'rotated'
        ? html`<p>The previous token of runner “${shown.tokenName}” no longer works.</p>`
        : ''
    }
    ${oneTimeSecretField(`Your new ${what}`, shown.plaintext)}
    <p class="notice warning">
      <strong>Make sure you save it now — you won't be able to see it again.</strong>
    </p>
  </section>`;
}

export function triggersSection(
  base: string,
  csrfToken: string,
  triggers: readonly { trigger: PipelineTrigger; owner: string | null }[],
): SafeHtml {
  return html`<section class="panel" id="triggers" aria-labelledby="triggers-heading">
    <h2 id="triggers-heading">Pipeline trigger tokens</h2>
    <p class="hint">
      A trigger token starts pipelines of this project (<code>POST /api/v4/projects/:id/trigger/pipeline</code
      >) as its owner, with the owner's permissions. Deleting it stops it at once.
    </p>
    ${
      triggers.length === 0
        ? html`<p class="muted" data-testid="triggers-empty">This project has no trigger tokens.</p>`
        : html`<div class="table-wrap">
            <table data-testid="triggers-table">
              <thead>
                <tr>
                  <th scope="col">Description</th>
                  <th scope="col">Token</th>
                  <th scope="col">Owner</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col"><span class="muted">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                ${triggers.map(
                  ({ trigger, owner }) =>
                    html`<tr data-trigger="${String(trigger.id)}">
                      <td>${trigger.description}</td>
                      <td><code>${trigger.token_hint}…</code></td>
                      <td>${owner ?? html`<span class="muted">deleted user</span>`}</td>
                      <td>${timeTag(trigger.created_at)}</td>
                      <td>${timeTag(trigger.last_used, 'Never')}</td>
                      <td class="actions">
                        <form
                          method="post"
                          action="${base}/triggers/${String(trigger.id)}/delete"
                          data-confirm="Delete the trigger “${trigger.description}”? Anything still using its token gets 404."
                        >
                          <input type="hidden" name="authenticity_token" value="${csrfToken}" />
                          <button
                            type="submit"
                            class="danger"
                            aria-label="Delete trigger ${trigger.description}"
                          >
                            Delete
                          </button>
                        </form>
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
    }
    <form method="post" action="${base}/triggers" aria-label="New pipeline trigger token">
      <input type="hidden" name="authenticity_token" value="${csrfToken}" />
      <div>
        <label for="trigger_description">Description</label>
        <input id="trigger_description" name="description" required maxlength="255" />
      </div>
      <button type="submit" class="primary">Add trigger</button>
    </form>
  </section>`;
}

/** What differs between a project's runner list and the administrators' list of every runner. */
export interface RunnerListOptions {
  hint: HtmlValue;
  empty: string;
  /** Extra columns after the runner's name (Admin → Runners: its type and project, its token). */
  columns?: readonly { heading: string; cell: (runner: Runner) => HtmlValue }[];
}

const PROJECT_RUNNERS: RunnerListOptions = {
  hint: html`The runners registered for this project (instance runners are listed under Admin). Resetting a
  runner's token stops the old one at once; deleting a runner fails the jobs it is running.`,
  empty: 'This project has no runners of its own.',
};

/**
 * Runners with their status, tags and last contact, and per runner a **Reset token** and a
 * **Delete** form posting to `<base>/runners/<id>/reset_token` and `…/delete`.
 */
export function runnersSection(
  base: string,
  csrfToken: string,
  runners: readonly Runner[],
  now: Date,
  options: RunnerListOptions = PROJECT_RUNNERS,
): SafeHtml {
  const columns = options.columns ?? [];
  return html`<section class="panel" id="runners" aria-labelledby="runners-heading">
    <h2 id="runners-heading">Runners</h2>
    <p class="hint">${options.hint}</p>
    ${
      runners.length === 0
        ? html`<p class="muted" data-testid="runners-empty">${options.empty}</p>`
        : html`<div class="table-wrap">
            <table data-testid="runners-table">
              <thead>
                <tr>
                  <th scope="col">Runner</th>
                  ${columns.map((column) => html`<th scope="col">${column.heading}</th>`)}
                  <th scope="col">Status</th>
                  <th scope="col">Tags</th>
                  <th scope="col">Last contact</th>
                  <th scope="col"><span class="muted">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                ${runners.map((runner) => {
                  const status = runnerStatus(runner, now);
                  return html`<tr data-runner="${String(runner.id)}">
                    <td>#${String(runner.id)} ${runner.description}</td>
                    ${columns.map((column) => html`<td>${column.cell(runner)}</td>`)}
                    <td>${badge(status, status === 'online' ? 'active' : 'muted')}</td>
                    <td>${runnerTags(runner).join(', ')}</td>
                    <td>${timeTag(runner.contacted_at, 'Never')}</td>
                    <td class="actions">
                      <form method="post" action="${base}/runners/${String(runner.id)}/reset_token">
                        <input type="hidden" name="authenticity_token" value="${csrfToken}" />
                        <button type="submit" aria-label="Reset the token of runner ${String(runner.id)}">
                          Reset token
                        </button>
                      </form>
                      <form
                        method="post"
                        action="${base}/runners/${String(runner.id)}/delete"
                        data-confirm="Delete runner #${String(runner.id)}? Its running jobs fail."
                      >
                        <input type="hidden" name="authenticity_token" value="${csrfToken}" />
                        <button type="submit" class="danger" aria-label="Delete runner ${String(runner.id)}">
                          Delete
                        </button>
                      </form>
                    </td>
                  </tr>`;
                })}
              </tbody>
            </table>
          </div>`
    }
  </section>`;
}
