import { cloudConnectorFor } from '../../cloud/instance/cloud-connector.ts';
import type { CloudConnectorStatus } from '../../cloud/instance/cloud-connector-status.ts';
import { TesseraError } from '../../errors/tessera-error.ts';
import { badge, timeTag } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';
import { notice, renderPage } from '../layout.ts';
import { sendHtml } from '../send-html.ts';
import type { WebDeps, WebPage } from '../web-page.ts';
import {
  formFields,
  queryText,
  requireAdminViewer,
  textField,
  webActor,
  type Viewer,
} from '../web-request.ts';

const PATH = '/admin/cloud_connector';
/** What a redirect's `done` names: fixed words only. */
const DONE: Record<string, string> = {
  synced: 'Synchronised with the license authority (see the last sync below).',
  activated: 'License activated and synchronised.',
};

/**
 * Admin → Cloud Connector: the license (plan, seats, expiry), the instance token's expiry, the last
 * sync and its error, "Sync now", and activation with a code. Everything comes from the Cloud
 * Connector service the admin API uses; no secret (license key, instance token) is ever on the page.
 */
export const cloudConnectorPage: WebPage = {
  nav: { section: 'admin', label: 'Cloud Connector', path: PATH },
  routes(app, deps) {
    const { context } = deps;
    const cloud = cloudConnectorFor(context);

    app.get(PATH, async (request, reply) => {
      const viewer = requireAdminViewer(request, context);
      const status = await cloud.status();
      const asked = queryText(request, 'done');
      const known = Object.hasOwn(DONE, asked);
      // A sync that ran but failed is not good news: say so instead.
      const state =
        known && status.sync.last_error !== null
          ? { problem: 'The sync failed: see “Last sync error” below. The next attempt is scheduled.' }
          : known
            ? { done: DONE[asked]! }
            : {};
      return sendHtml(reply, page(deps, viewer, status, state));
    });

    app.post(`${PATH}/sync`, async (request, reply) => {
      requireAdminViewer(request, context);
      await cloud.syncNow();
      return reply.redirect(`${PATH}?done=synced`, 303);
    });

    app.post(`${PATH}/activate`, async (request, reply) => {
      const viewer = requireAdminViewer(request, context);
      const code = textField(formFields(request), 'activation_code');
      try {
        if (!code) throw new TesseraError('bad_request', 'Enter the activation code.');
        await cloud.activate(webActor(request, viewer), code);
      } catch (error) {
        if (!(error instanceof TesseraError) || error.status >= 500) throw error;
        // The code is never echoed: the form comes back empty with the reason.
        return sendHtml(reply, page(deps, viewer, await cloud.status(), { problem: error.message }), 400);
      }
      return reply.redirect(`${PATH}?done=activated`, 303);
    });
  },
};

function page(
  deps: WebDeps,
  viewer: Viewer,
  status: CloudConnectorStatus,
  state: { done?: string; problem?: string },
): SafeHtml {
  const { license, sync } = status;
  const token = status.instance_token;
  const main = html`${state.done ? notice('success', state.done) : ''}
    ${state.problem ? notice('error', state.problem) : ''}
    <section class="panel" aria-labelledby="license-heading">
      <h2 id="license-heading">License</h2>
      ${
        license === null
          ? html`<p data-testid="license-none">No license is activated on this instance.</p>`
          : html`<dl class="facts" data-testid="license">
              <dt>Licensee</dt>
              <dd>${license.licensee ?? '—'}</dd>
              <dt>Plan</dt>
              <dd data-testid="license-plan">${license.plan ?? '—'}</dd>
              <dt>Valid</dt>
              <dd>
                ${timeTag(license.starts_at)} to
                <span data-testid="license-expires">${timeTag(license.expires_at, 'no end')}</span>
              </dd>
              <dt>Activated</dt>
              <dd>${timeTag(license.activated_at)}</dd>
            </dl>`
      }
      <div class="table-wrap">
        <table data-testid="seats-table">
          <thead>
            <tr>
              <th scope="col">Add-on</th>
              <th scope="col">Seats purchased</th>
              <th scope="col">Seats assigned</th>
            </tr>
          </thead>
          <tbody>
            ${status.add_ons.map(
              (addOn) =>
                html`<tr data-add-on="${addOn.name}">
                  <td><code>${addOn.name}</code></td>
                  <td>${addOn.purchased ?? '—'}</td>
                  <td>${addOn.assigned}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
    </section>
    <section class="panel" aria-labelledby="connector-heading">
      <h2 id="connector-heading">Cloud Connector</h2>
      <dl class="facts" data-testid="connector">
        <dt>Instance ID</dt>
        <dd><code>${status.instance_id}</code></dd>
        <dt>Realm / mode</dt>
        <dd>${status.realm} / ${status.mode}</dd>
        <dt>Instance tokens from</dt>
        <dd><code>${status.source}</code></dd>
        <dt>Instance token</dt>
        <dd data-testid="instance-token">${instanceToken(token)}</dd>
        <dt>Last sync</dt>
        <dd data-testid="last-sync">${timeTag(sync.last_success_at, 'never')}</dd>
        <dt>Last attempt</dt>
        <dd>${timeTag(sync.last_attempt_at, 'never')}</dd>
        <dt>Last sync error</dt>
        <dd data-testid="sync-error">
          ${
            sync.last_error
              ? html`${badge('error', 'fail')} ${sync.last_error}
                  <span class="hint"
                    >(${sync.consecutive_failures} failure${sync.consecutive_failures === 1 ? '' : 's'} in a
                    row)</span
                  >`
              : 'none'
          }
        </dd>
        <dt>Next sync</dt>
        <dd>${timeTag(sync.next_attempt_at, 'not scheduled')}</dd>
      </dl>
      <form method="post" action="${PATH}/sync">
        <input type="hidden" name="authenticity_token" value="${viewer.csrfToken}" />
        <button type="submit" class="primary">Sync now</button>
      </form>
    </section>
    <form method="post" action="${PATH}/activate" class="panel" aria-labelledby="activate-heading">
      <h2 id="activate-heading">Activate a license</h2>
      <input type="hidden" name="authenticity_token" value="${viewer.csrfToken}" />
      <label for="activation_code"
        >Activation code <span class="hint">(from the vendor; replaces the current license)</span></label
      >
      <input
        type="text"
        id="activation_code"
        name="activation_code"
        required
        autocomplete="off"
        spellcheck="false"
      />
      <div><button type="submit">Activate</button></div>
    </form>`;
  return renderPage({
    title: 'Cloud Connector and license',
    viewer,
    nav: deps.nav,
    path: PATH,
    docs: { label: 'Self-managed AI access (Cloud Connector)', href: '/help/flows/self-managed-ai-access' },
    main,
  });
}

function instanceToken(token: CloudConnectorStatus['instance_token']): SafeHtml {
  if (token === null) return html`${badge('none', 'revoked')} not synchronised yet`;
  return html`${badge(token.expired ? 'expired' : 'active')} expires ${timeTag(token.expires_at)}
    <span class="hint">(scopes: ${token.scopes.length})</span>`;
}
