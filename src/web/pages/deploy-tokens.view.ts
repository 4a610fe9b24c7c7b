import type { DeployToken } from '../../store/schema.ts';
import {
  DEPLOY_TOKEN_SCOPES,
  GITLAB_DEPLOY_TOKEN_NAME,
  deployTokenScopes,
  deployTokenState,
  type DeployTokenScope,
} from '../../tokens/deploy/deploy-token-state.ts';
import type { Clock } from '../../util/clock.ts';
import { badge, timeTag } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';
import type { NewTokenNotice } from '../new-token-flash.ts';
import { oneTimeSecretField, rotateAndRevokeForms, scopeCheckboxes } from '../token-forms.ts';

/** One line per scope, as the form explains them. */
export const DEPLOY_TOKEN_SCOPE_DESCRIPTIONS: Record<DeployTokenScope, string> = {
  read_repository: 'Clone the repository (git fetch and pull).',
  read_registry: 'Pull container images from the project’s registry.',
  write_registry: 'Push container images to the project’s registry.',
  read_package_registry: 'Download packages from the package registry.',
  write_package_registry: 'Publish packages to the package registry.',
  read_virtual_registry: 'Pull through the virtual registry (cached upstream packages).',
  write_virtual_registry: 'Push to the virtual registry’s cache.',
};

export interface DeployTokenFormValues {
  name: string;
  username: string;
  scopes: readonly string[];
  expiresAt: string;
}

/** The one time a deploy token's secret is on a page; after a rotation, until when the old one works. */
export function newDeployTokenPanel(shown: NewTokenNotice): SafeHtml {
  const rotated = shown.action === 'rotated';
  return html`<section class="panel notice success" role="status" aria-labelledby="new-token-heading">
    <h2 id="new-token-heading">${rotated ? 'Your rotated deploy token' : 'Your new deploy token'}</h2>
    ${rotated ? overlapNotice(shown) : ''}
    <p>Username: <code data-testid="new-token-username">${shown.username ?? ''}</code></p>
    ${oneTimeSecretField('Your new deploy token', shown.plaintext)}
    <p class="notice warning">
      <strong>Make sure you save it now — you won't be able to see it again.</strong> Anyone holding it can do
      what its scopes allow, with the username above.
    </p>
  </section>`;
}

function overlapNotice(shown: NewTokenNotice): SafeHtml {
  if (!shown.previousValidUntil) {
    return html`<p data-testid="overlap">
      The previous secret of “${shown.tokenName}” stopped working at once.
    </p>`;
  }
  return html`<p data-testid="overlap">
    The previous secret of “${shown.tokenName}” keeps working until
    <strong>${timeTag(shown.previousValidUntil)}</strong>, so clusters that pull with it can be given the new
    one without downtime. After that only the new secret works.
  </p>`;
}

/** The creation form: visible labels, one checkbox per scope with its one-line explanation. */
export function deployTokenForm(
  action: string,
  csrfToken: string,
  values: DeployTokenFormValues,
  minDate: string,
): SafeHtml {
  return html`<form method="post" action="${action}" class="panel" aria-labelledby="create-heading">
    <h2 id="create-heading">New deploy token</h2>
    <input type="hidden" name="authenticity_token" value="${csrfToken}" />
    <label for="deploy_token_name">Token name</label>
    <input type="text" id="deploy_token_name" name="name" maxlength="255" required value="${values.name}" />
    <label for="deploy_token_username"
      >Username
      <span class="hint">(optional; default <code>gitlab+deploy-token-&lt;id&gt;</code>)</span></label
    >
    <input
      type="text"
      id="deploy_token_username"
      name="username"
      maxlength="255"
      value="${values.username}"
    />
    <label for="deploy_token_expires_at"
      >Expiration date <span class="hint">(optional; empty: never expires)</span></label
    >
    <input
      type="date"
      id="deploy_token_expires_at"
      name="expires_at"
      min="${minDate}"
      value="${values.expiresAt}"
    />
    <fieldset>
      <legend>Scopes</legend>
      ${scopeCheckboxes(DEPLOY_TOKEN_SCOPES, values.scopes, (scope) => DEPLOY_TOKEN_SCOPE_DESCRIPTIONS[scope], 'deploy_scope_')}
    </fieldset>
    <button type="submit" class="primary">Create deploy token</button>
  </form>`;
}

/** The project's deploy tokens: every field but the secret; rotate and revoke for live ones. */
export function deployTokenTable(
  tokens: readonly DeployToken[],
  clock: Clock,
  base: string,
  csrfToken: string,
): SafeHtml {
  if (tokens.length === 0) return html`<p class="muted">This project has no deploy tokens.</p>`;
  return html`<div class="table-wrap">
    <table data-testid="deploy-token-table">
      <thead>
        <tr>
          <th scope="col">Token name</th>
          <th scope="col">Username</th>
          <th scope="col">Scopes</th>
          <th scope="col">Created</th>
          <th scope="col">Expires</th>
          <th scope="col">State</th>
          <th scope="col"><span class="muted">Actions</span></th>
        </tr>
      </thead>
      <tbody>
        ${tokens.map((token) => {
          const state = deployTokenState(token, clock);
          const auto = token.name === GITLAB_DEPLOY_TOKEN_NAME && token.auto_created === 1;
          return html`<tr data-token-id="${token.id}" data-token-name="${token.name}">
            <td>
              ${token.name}
              ${auto ? html` <span class="badge auto" title="Created by Auto DevOps">auto-created</span>` : ''}
            </td>
            <td><code>${token.username}</code></td>
            <td>${deployTokenScopes(token).join(', ')}</td>
            <td>${timeTag(token.created_at)}</td>
            <td>${timeTag(token.expires_at, 'Never')}</td>
            <td>${badge(state)}${graceNote(token, clock)}</td>
            <td class="actions">${state === 'active' ? tokenActions(token, base, csrfToken) : ''}</td>
          </tr>`;
        })}
      </tbody>
    </table>
  </div>`;
}

/** A rotated token whose previous secret still works says so in its row. */
function graceNote(token: DeployToken, clock: Clock): SafeHtml {
  const until = token.previous_valid_until;
  if (until === null || until <= clock.now().toISOString() || token.revoked) return html``;
  return html`<br /><span class="hint">old secret works until ${timeTag(until)}</span>`;
}

function tokenActions(token: DeployToken, base: string, csrfToken: string): SafeHtml {
  return rotateAndRevokeForms({
    name: token.name,
    base: `${base}/${token.id}`,
    csrfToken,
    rotateWarning:
      "It gets a new secret, shown once; the current secret keeps working for the project's grace period.",
  });
}
