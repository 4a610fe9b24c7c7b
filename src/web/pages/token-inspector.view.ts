import { boundaryLabel } from '../../tokens/access/granular-scopes.ts';
import type { TokenInspection } from '../../tokens/access/token-inspector.ts';
import { badge, timeTag } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';
import type { CredentialInspection } from '../inspector/inspect-credential.ts';
import type { JwtInspection } from '../inspector/jwt-checks.ts';

/** The paste form. It never comes back filled in: the value is not echoed. */
export function inspectorForm(path: string, csrfToken: string, audience: string): SafeHtml {
  return html`<form method="post" action="${path}" class="panel" aria-label="Inspect a credential">
    <input type="hidden" name="authenticity_token" value="${csrfToken}" />
    <label for="inspect_token"
      >Credential or JWT
      <span class="hint"
        >(an access token, a deploy or job token, an ID token… — not stored, not logged)</span
      ></label
    >
    <textarea
      id="inspect_token"
      name="token"
      required
      autocomplete="off"
      spellcheck="false"
      maxlength="8192"
    ></textarea>
    <label for="inspect_audience"
      >Expected audience <span class="hint">(optional; for a JWT's aud check)</span></label
    >
    <input type="text" id="inspect_audience" name="audience" value="${audience}" autocomplete="off" />
    <div><button type="submit" class="primary">Inspect</button></div>
  </form>`;
}

/** The result for one pasted value, described by `masked` (its prefix and length, never the value). */
export function inspectionResult(result: CredentialInspection, masked: string): SafeHtml {
  const body =
    result.kind === 'jwt'
      ? jwtResult(result.jwt)
      : result.kind === 'unknown'
        ? html`<p data-testid="inspection-type">
            Type: <strong>unrecognised</strong> — neither a known token prefix nor a JWT.
          </p>`
        : !result.supported
          ? html`<p data-testid="inspection-type">
              Type: <strong>${result.type}</strong> (prefix <code>${result.prefix}</code>). This instance
              cannot look this type up yet.
            </p>`
          : result.found
            ? opaqueResult(result.found)
            : html`<p data-testid="inspection-type">
                  Type: <strong>${result.type}</strong> (prefix <code>${result.prefix}</code>).
                </p>
                <p data-testid="inspection-state">
                  ${badge('not found', 'fail')} No such token was ever issued here.
                </p>`;
  return html`<section class="panel" aria-labelledby="result-heading" data-testid="inspection">
    <h2 id="result-heading">Result</h2>
    <p class="muted">Inspected: <code>${masked}</code></p>
    ${body}
  </section>`;
}

function opaqueResult(found: TokenInspection): SafeHtml {
  return html`<dl class="facts">
    <dt>Type</dt>
    <dd data-testid="inspection-type">
      ${found.token_type}${found.impersonation ? ' (impersonation token)' : ''}
    </dd>
    <dt>Name</dt>
    <dd>${found.name}</dd>
    <dt>Owner</dt>
    <dd data-testid="inspection-owner">${ownerOf(found)}</dd>
    ${
      found.resource
        ? html`<dt>Belongs to</dt>
            <dd>${found.resource.type} ${found.resource.id}</dd>`
        : ''
    }
    ${
      found.granular_scopes
        ? html`<dt>Fine-grained permissions</dt>
            <dd data-testid="inspection-granular-scopes">
              <ul>
                ${found.granular_scopes.map(
                  (grant) =>
                    html`<li>${boundaryLabel(grant)}: <code>${grant.permissions.join(', ')}</code></li>`,
                )}
              </ul>
            </dd>`
        : html`<dt>Scopes</dt>
            <dd data-testid="inspection-scopes">${found.scopes.join(', ')}</dd>`
    }
    <dt>Created</dt>
    <dd>${timeTag(found.created_at)}</dd>
    <dt>Last used</dt>
    <dd>${timeTag(found.last_used_at, 'Never')}</dd>
    <dt>Expires</dt>
    <dd>${timeTag(found.expires_at, 'Never')}</dd>
    <dt>State</dt>
    <dd data-testid="inspection-state">${badge(found.state.replace('_', ' '), found.state)}</dd>
  </dl>`;
}

function ownerOf(found: TokenInspection): SafeHtml {
  if (found.owner) {
    const bot = found.owner.bot ? ' (bot)' : '';
    return html`${found.owner.username}${bot} <span class="muted">id ${found.owner.id}</span>`;
  }
  // A deploy token stands for its project or group, not for a user.
  if (found.user_id !== null) return html`user ${found.user_id} (deleted)`;
  return found.resource ? html`${found.resource.type} ${found.resource.id}` : html`no user`;
}

function jwtResult(jwt: JwtInspection): SafeHtml {
  const claims = jwt.claims;
  const exp = typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : null;
  const owner = claims.user_login ?? claims.sub;
  return html`<dl class="facts">
      <dt>Type</dt>
      <dd data-testid="inspection-type">
        ${jwt.kind} <span class="muted">(alg ${jwt.header.alg ?? '?'}, kid ${jwt.header.kid ?? 'none'})</span>
      </dd>
      <dt>Subject</dt>
      <dd data-testid="inspection-owner">${typeof owner === 'string' ? owner : '—'}</dd>
      <dt>Scopes</dt>
      <dd data-testid="inspection-scopes">${scopesOf(claims)}</dd>
      <dt>Expires</dt>
      <dd>${timeTag(exp, 'never')}</dd>
      <dt>State</dt>
      <dd data-testid="inspection-state">
        ${jwt.checks.every((check) => check.pass) ? badge('valid', 'pass') : badge('invalid', 'fail')}
      </dd>
    </dl>
    <h3>Checks</h3>
    <div class="table-wrap">
      <table data-testid="jwt-checks">
        <thead>
          <tr>
            <th scope="col">Check</th>
            <th scope="col">Result</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          ${jwt.checks.map(
            (check) =>
              html`<tr data-check="${check.name}">
                <td>${check.name}</td>
                <td>${check.pass ? badge('pass') : badge('fail')}</td>
                <td>${check.detail}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <h3>Header</h3>
    <pre class="claims" data-testid="jwt-header">${JSON.stringify(jwt.header, null, 2)}</pre>
    <h3>Claims</h3>
    <pre class="claims" data-testid="jwt-claims">${JSON.stringify(claims, null, 2)}</pre>`;
}

function scopesOf(claims: Record<string, unknown>): string {
  const scopes = claims.scopes ?? claims.scope;
  if (Array.isArray(scopes)) return scopes.join(', ');
  return typeof scopes === 'string' ? scopes : '—';
}
