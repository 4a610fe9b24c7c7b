import type { VariableView } from '../../ci/variables/ci-variable.service.ts';
import { badge } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';

/** Whose variables a section shows: what reaches which jobs, and what wins over what. */
const LEVELS = {
  project: {
    owner: 'This project',
    reach: "Variables reach this project's jobs, over group and instance variables of the same key.",
  },
  group: {
    owner: 'This group',
    reach:
      "Variables reach the jobs of every project in this group and its subgroups, over instance variables of the same key; a subgroup's or a project's own variable wins over them.",
  },
  instance: {
    owner: 'The instance',
    reach:
      "Variables reach the jobs of every project; a group's or a project's own variable of the same key wins over them. Environment scopes do not apply at this level.",
  },
} as const;

export type VariablesLevel = keyof typeof LEVELS;

/**
 * CI/CD variables of a project, a group or the instance: key, type, scope and flags, but never a
 * value — not even of a visible variable, so a page left open or a screenshot gives nothing away.
 * Add and delete.
 */
export function variablesSection(
  base: string,
  csrfToken: string,
  variables: readonly VariableView[],
  level: VariablesLevel,
): SafeHtml {
  const { owner, reach } = LEVELS[level];
  const visibility = (row: VariableView['row']) =>
    row.hidden === 1
      ? badge('masked and hidden', 'revoked')
      : row.masked === 1
        ? badge('masked', 'active')
        : badge('visible', 'muted');
  return html`<section class="panel" id="variables" aria-labelledby="variables-heading">
    <h2 id="variables-heading">Variables</h2>
    <p class="hint">
      ${reach} Values are stored encrypted and are not shown here. Names of credentials Tessera gives every
      job (<code>CI_JOB_TOKEN</code>,
      <code>CI_REGISTRY_PASSWORD</code>, <code>CI_DEPLOY_PASSWORD</code>, <code>CI_JOB_JWT*</code>) are
      refused.
    </p>
    ${
      variables.length === 0
        ? html`<p class="muted" data-testid="variables-empty">${owner} has no variables.</p>`
        : html`<div class="table-wrap">
            <table data-testid="variables-table">
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Type</th>
                  <th scope="col">Environments</th>
                  <th scope="col">Visibility</th>
                  <th scope="col">Protected</th>
                  <th scope="col"><span class="muted">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                ${variables.map(
                  ({ row }) =>
                    html`<tr data-variable="${row.key}:${row.environment_scope}">
                      <td>
                        <code>${row.key}</code
                        >${row.description ? html`<br /><span class="muted">${row.description}</span>` : ''}
                      </td>
                      <td>${row.variable_type === 'file' ? 'File' : 'Variable'}</td>
                      <td><code>${row.environment_scope}</code></td>
                      <td>${visibility(row)}</td>
                      <td>${row.protected === 1 ? 'yes' : 'no'}</td>
                      <td class="actions">
                        <form
                          method="post"
                          action="${base}/variables/remove"
                          data-confirm="Delete ${row.key}? Jobs that start from now on no longer get it."
                        >
                          <input type="hidden" name="authenticity_token" value="${csrfToken}" />
                          <input type="hidden" name="key" value="${row.key}" />
                          <input type="hidden" name="environment_scope" value="${row.environment_scope}" />
                          <button type="submit" class="danger" aria-label="Delete ${row.key}">Delete</button>
                        </form>
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
    }
    <form method="post" action="${base}/variables" aria-label="New CI/CD variable">
      <input type="hidden" name="authenticity_token" value="${csrfToken}" />
      <div>
        <label for="variable_key">Key</label>
        <input
          id="variable_key"
          name="key"
          required
          maxlength="255"
          pattern="[A-Za-z0-9_]+"
          autocomplete="off"
        />
      </div>
      <div>
        <label for="variable_value">Value</label>
        <textarea id="variable_value" name="value" rows="2" autocomplete="off" spellcheck="false"></textarea>
      </div>
      <div>
        <label for="variable_type">Type</label>
        <select id="variable_type" name="variable_type">
          <option value="env_var">Variable</option>
          <option value="file">File</option>
        </select>
      </div>
      ${
        level === 'instance'
          ? ''
          : html`<div>
              <label for="variable_scope">Environments</label>
              <input id="variable_scope" name="environment_scope" value="*" maxlength="255" />
            </div>`
      }
      <div>
        <label for="variable_visibility">Visibility</label>
        <select id="variable_visibility" name="visibility">
          <option value="visible">Visible</option>
          <option value="masked" selected>Masked</option>
          <option value="masked_and_hidden">Masked and hidden</option>
        </select>
      </div>
      <div class="checkbox">
        <input type="checkbox" id="variable_protected" name="protected" value="true" />
        <label for="variable_protected">Protect variable: only pipelines on protected branches get it</label>
      </div>
      <div>
        <label for="variable_description">Description</label>
        <input id="variable_description" name="description" maxlength="255" />
      </div>
      <button type="submit" class="primary">Add variable</button>
    </form>
  </section>`;
}
