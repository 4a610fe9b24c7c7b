import type { AccessToken } from '../../store/schema.ts';
import { accessTokenState, scopesOf } from '../../tokens/access/access-token-state.ts';
import { boundaryLabel, granularScopesOf } from '../../tokens/access/granular-scopes.ts';
import { ACCESS_TOKEN_SCOPES, type AccessTokenScope } from '../../tokens/access/scopes.ts';
import type { Clock } from '../../util/clock.ts';
import { badge, timeTag } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';
import type { NewTokenNotice } from '../new-token-flash.ts';
import { oneTimeSecretField, rotateAndRevokeForms, scopeCheckboxes } from '../token-forms.ts';

/** Where the page lives: GitLab's path, so bookmarks carry over. */
export const PAT_PAGE_PATH = '/-/user_settings/personal_access_tokens';

export interface TokenFormValues {
  name: string;
  scopes: readonly string[];
  expiresAt: string;
}

export interface TokenFormLimits {
  /** The scopes this person may grant, in catalogue order. */
  grantable: readonly AccessTokenScope[];
  /** `YYYY-MM-DD` bounds of the date input: tomorrow, and the policy's maximum. */
  minDate: string;
  maxDate: string;
  maxLifetimeDays: number;
}

/** The one time a secret is on a page: a read-only field, a copy button and the warning. */
export function newTokenPanel(shown: NewTokenNotice): SafeHtml {
  const heading = shown.action === 'created' ? 'Your new personal access token' : 'Your rotated token';
  return html`<section class="panel notice success" role="status" aria-labelledby="new-token-heading">
    <h2 id="new-token-heading">${heading}</h2>
    ${shown.action === 'rotated' ? html`<p>The previous secret of “${shown.tokenName}” no longer works.</p>` : ''}
    ${oneTimeSecretField('Your new personal access token', shown.plaintext)}
    <p class="notice warning">
      <strong>Make sure you save it now — you won't be able to see it again.</strong> Treat it like a
      password: anyone holding it acts as you within its scopes.
    </p>
  </section>`;
}

/** The creation form: visible labels, one checkbox per scope with its one-line explanation. */
export function tokenForm(csrfToken: string, values: TokenFormValues, limits: TokenFormLimits): SafeHtml {
  return html`<form method="post" action="${PAT_PAGE_PATH}" class="panel" aria-labelledby="create-heading">
    <h2 id="create-heading">Add a new token</h2>
    <input type="hidden" name="authenticity_token" value="${csrfToken}" />
    <label for="token_name">Token name</label>
    <input type="text" id="token_name" name="name" maxlength="255" required value="${values.name}" />
    <label for="token_expires_at"
      >Expiration date
      <span class="hint"
        >(at most ${limits.maxLifetimeDays} days ahead; the token stops working at 00:00 UTC that day)</span
      ></label
    >
    <input
      type="date"
      id="token_expires_at"
      name="expires_at"
      required
      min="${limits.minDate}"
      max="${limits.maxDate}"
      value="${values.expiresAt}"
    />
    <fieldset>
      <legend>Scopes</legend>
      ${scopeCheckboxes(limits.grantable, values.scopes, (scope) => ACCESS_TOKEN_SCOPES[scope].description, 'scope_')}
    </fieldset>
    <button type="submit" class="primary">Create token</button>
  </form>`;
}

/** The person's tokens: every field but the secret, and for live ones rotate and revoke. */
export function tokenTable(tokens: readonly AccessToken[], clock: Clock, csrfToken: string): SafeHtml {
  return accessTokenTable(tokens, clock, {
    testId: 'token-table',
    empty: 'You have no personal access tokens yet.',
    actions: (token) => tokenActions(token, csrfToken),
  });
}

/**
 * A table of access tokens — every field but the secret — with the page's actions for the live ones:
 * the personal token page and the admin user page (impersonation tokens) show the same columns.
 */
export function accessTokenTable(
  tokens: readonly AccessToken[],
  clock: Clock,
  view: { testId: string; empty: string; actions: (token: AccessToken) => SafeHtml },
): SafeHtml {
  if (tokens.length === 0) return html`<p class="muted">${view.empty}</p>`;
  return html`<div class="table-wrap">
    <table data-testid="${view.testId}">
      <thead>
        <tr>
          <th scope="col">Token name</th>
          <th scope="col">Scopes</th>
          <th scope="col">Created</th>
          <th scope="col">Last used</th>
          <th scope="col">Expires</th>
          <th scope="col">State</th>
          <th scope="col"><span class="muted">Actions</span></th>
        </tr>
      </thead>
      <tbody>
        ${tokens.map((token) => {
          const state = accessTokenState(token, clock);
          return html`<tr data-token-id="${token.id}">
            <td>${token.name}</td>
            <td>${scopesCell(token)}</td>
            <td>${timeTag(token.created_at)}</td>
            <td>${timeTag(token.last_used_at, 'Never')}</td>
            <td>${timeTag(token.expires_at)}</td>
            <td>${badge(state)}</td>
            <td class="actions">${state === 'active' ? view.actions(token) : ''}</td>
          </tr>`;
        })}
      </tbody>
    </table>
  </div>`;
}

function tokenActions(token: AccessToken, csrfToken: string): SafeHtml {
  return rotateAndRevokeForms({
    name: token.name,
    base: `${PAT_PAGE_PATH}/${token.id}`,
    csrfToken,
    rotateWarning:
      'Its current secret stops working at once; the new one is shown once and expires in a week.',
  });
}

/** A classic token's scopes; for a fine-grained one, what it holds where (it has no scope). */
function scopesCell(token: AccessToken): string {
  const granular = granularScopesOf(token);
  if (!granular) return scopesOf(token).join(', ');
  return granular.map((grant) => `${boundaryLabel(grant)}: ${grant.permissions.join(', ')}`).join('; ');
}
