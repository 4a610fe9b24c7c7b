import type { AuditEvent } from '../../store/schema.ts';
import { timeTag } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';

export const AUDIT_FILTER_NAMES = [
  'actor',
  'target_type',
  'action',
  'created_after',
  'created_before',
] as const;

/** The filters as typed (the query parameters), echoed back into the form. */
export type AuditFilterValues = Record<(typeof AUDIT_FILTER_NAMES)[number], string>;

/** Suggestions only: any type or action can be typed, new credential modules add their own. */
const TARGET_TYPES = ['PersonalAccessToken', 'ProjectAccessToken', 'GroupAccessToken', 'signing_key', 'user'];
const ACTIONS = [
  'personal_access_token.created',
  'personal_access_token.rotated',
  'personal_access_token.revoked',
  'personal_access_token.family_revoked',
  'signing_key.created',
  'signing_key.activated',
  'signing_key.retired',
  'signing_key.removed',
  'user.signed_in',
  'user.signed_out',
  'user.sign_in_failed',
  'user.sign_in_locked',
];

const options = (id: string, values: readonly string[]) =>
  html`<datalist id="${id}">${values.map((value) => html`<option value="${value}"></option>`)}</datalist>`;

/** The filter form: a plain GET, so a filtered view is a link that can be shared. */
export function auditFilterForm(path: string, values: AuditFilterValues): SafeHtml {
  return html`<form
    method="get"
    action="${path}"
    class="panel"
    role="search"
    aria-label="Filter audit events"
  >
    <div class="filters">
      <div>
        <label for="audit_actor">Actor <span class="hint">(username)</span></label>
        <input type="text" id="audit_actor" name="actor" value="${values.actor}" autocapitalize="none" />
      </div>
      <div>
        <label for="audit_target_type">Target type</label>
        <input
          type="text"
          id="audit_target_type"
          name="target_type"
          list="audit-target-types"
          value="${values.target_type}"
        />
      </div>
      <div>
        <label for="audit_action">Action</label>
        <input type="text" id="audit_action" name="action" list="audit-actions" value="${values.action}" />
      </div>
      <div>
        <label for="audit_created_after">From <span class="hint">(UTC)</span></label>
        <input
          type="datetime-local"
          id="audit_created_after"
          name="created_after"
          value="${values.created_after}"
        />
      </div>
      <div>
        <label for="audit_created_before">To <span class="hint">(UTC)</span></label>
        <input
          type="datetime-local"
          id="audit_created_before"
          name="created_before"
          value="${values.created_before}"
        />
      </div>
    </div>
    ${options('audit-target-types', TARGET_TYPES)}${options('audit-actions', ACTIONS)}
    <button type="submit" class="primary">Filter</button> <a class="button" href="${path}">Clear</a>
  </form>`;
}

/** The events: who, what, about what, from where, and the details (never a secret: the log holds none). */
export function auditTable(events: readonly AuditEvent[]): SafeHtml {
  if (events.length === 0) return html`<p class="muted" data-testid="audit-empty">No events match.</p>`;
  return html`<div class="table-wrap">
    <table data-testid="audit-table">
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Actor</th>
          <th scope="col">Action</th>
          <th scope="col">Target</th>
          <th scope="col">IP address</th>
          <th scope="col">Details</th>
        </tr>
      </thead>
      <tbody>
        ${events.map(
          (event) =>
            html`<tr>
              <td>${timeTag(event.created_at)}</td>
              <td>
                ${event.author_name}${event.author_id === null ? html` <span class="muted">(no account)</span>` : ''}
              </td>
              <td><code>${event.action}</code></td>
              <td>${target(event)}</td>
              <td>${event.ip_address ?? '—'}</td>
              <td><code class="details">${event.details === '{}' ? '' : event.details}</code></td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function target(event: AuditEvent): SafeHtml {
  if (event.target_type !== null) {
    return html`${event.target_type}
      ${event.target_id ?? ''}${event.target_details ? html` <span class="muted">“${event.target_details}”</span>` : ''}
      <div class="muted">of ${event.entity_type} ${event.entity_id ?? ''}</div>`;
  }
  return html`${event.entity_type} <span class="mono">${event.entity_id ?? ''}</span>`;
}
