import { timeTag, badge } from '../format.ts';
import { html } from '../html.ts';
import { notice, renderPage } from '../layout.ts';
import { sendHtml } from '../send-html.ts';
import type { WebPage } from '../web-page.ts';
import { queryText, requireAdminViewer, webActor } from '../web-request.ts';

const PATH = '/admin/signing_keys';
/** The role whose keys sign the instance's JWTs (ID tokens, user AI tokens, registry tokens). */
const ROLE = 'instance';
/** Signing first, then the one published ahead of time, then the ones kept for their last tokens. */
const STATE_ORDER = { active: 0, next: 1, retired: 2 } as const;

/**
 * Admin → Signing keys: the instance's keys (state, `kid`, algorithm, dates), when the scheduler will
 * rotate next, "rotate now", and links to the published JWKS and discovery documents.
 */
export const signingKeysPage: WebPage = {
  nav: { section: 'admin', label: 'Signing keys', path: PATH },
  routes(app, { context, nav }) {
    app.get(PATH, async (request, reply) => {
      const viewer = requireAdminViewer(request, context);
      const listing = await context.keys.list(ROLE);
      const keys = [...listing.keys].sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state]);
      const active = keys.find((key) => key.state === 'active');
      const rotated = queryText(request, 'rotated');
      const main = html` ${rotated && rotated === active?.kid ? notice('success', html`Keys rotated: <code>${rotated}</code> signs from now on. The previous key stays published until its last token expires.`) : ''}
        <p>
          Active key: <code data-testid="active-kid">${active?.kid ?? 'none'}</code> · Next scheduled
          rotation: ${timeTag(listing.next_rotation_at, 'not scheduled')}
        </p>
        <p>
          Published for verifiers: <a href="/oauth/discovery/keys">JWKS (/oauth/discovery/keys)</a> ·
          <a href="/.well-known/openid-configuration">OpenID discovery document</a>
        </p>
        <div class="table-wrap">
          <table data-testid="keys-table">
            <thead>
              <tr>
                <th scope="col">State</th>
                <th scope="col">Key ID (kid)</th>
                <th scope="col">Algorithm</th>
                <th scope="col">Created</th>
                <th scope="col">Activated</th>
                <th scope="col">Retired</th>
                <th scope="col">Unpublished after</th>
              </tr>
            </thead>
            <tbody>
              ${keys.map(
                (key) =>
                  html`<tr data-state="${key.state}">
                    <td>${badge(key.state)}</td>
                    <td><code>${key.kid}</code></td>
                    <td>${key.alg}</td>
                    <td>${timeTag(key.created_at)}</td>
                    <td>${timeTag(key.activated_at)}</td>
                    <td>${timeTag(key.retired_at)}</td>
                    <td>${timeTag(key.remove_after)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>
        <form
          method="post"
          action="${PATH}/rotate"
          class="panel"
          data-confirm="Rotate the instance's signing keys now? The next key starts signing at once; tokens signed by the current key stay valid until they expire."
        >
          <input type="hidden" name="authenticity_token" value="${viewer.csrfToken}" />
          <p>
            Rotating makes the <em>next</em> key (already published) the signing key, retires the current one
            and publishes a new next key.
          </p>
          <button type="submit" class="danger">Rotate now</button>
        </form>`;
      return sendHtml(
        reply,
        renderPage({
          title: 'Signing keys',
          viewer,
          nav,
          path: PATH,
          docs: { label: 'Security model: JWT signing and key rotation', href: '/help/security' },
          main,
        }),
      );
    });

    app.post(`${PATH}/rotate`, async (request, reply) => {
      const viewer = requireAdminViewer(request, context);
      const result = await context.keys.rotate(ROLE, webActor(request, viewer));
      return reply.redirect(`${PATH}?rotated=${encodeURIComponent(result.activated)}`, 303);
    });
  },
};
