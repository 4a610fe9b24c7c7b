import { addDays, todayUtc } from '../../tokens/access/access-token-expiry.ts';
import { countAuditEvents, listAuditEvents } from '../../store/audit-events.repository.ts';
import { listAccessTokens } from '../../store/access-tokens.repository.ts';
import { timeTag } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';
import { renderPage } from '../layout.ts';
import { sendHtml } from '../send-html.ts';
import { SIGN_IN_PATH } from '../sign-in-refusal.ts';
import type { WebDeps, WebPage } from '../web-page.ts';
import { viewerOf, type Viewer } from '../web-request.ts';

/** How far ahead an expiry or a rotation counts as needing attention. */
const SOON_DAYS = 7;
const DAY_MS = 24 * 3600 * 1000;
/** The page lists a few of each; the linked pages have the rest. */
const SHOWN = 10;
const FAILED_SIGN_IN = 'user.sign_in_failed';

/**
 * `GET /`: where sign-in lands. Signed out, it is the sign-in page; signed in, what needs attention:
 * the viewer's tokens about to expire and failed sign-ins to their account, and for administrators the
 * instance's failed sign-ins and a key rotation coming up. Each is one indexed query (tokens by user,
 * audit events by action and time, the instance's few keys); the navigation has the way to every page.
 */
export const homePage: WebPage = {
  routes(app, deps) {
    app.get('/', async (request, reply) => {
      const viewer = viewerOf(request, deps.context);
      if (!viewer) return reply.redirect(SIGN_IN_PATH, 302);
      const main = await attention(deps, viewer);
      return sendHtml(
        reply,
        renderPage({ title: 'Welcome to Tessera', viewer, nav: deps.nav, path: '/', main }),
      );
    });
  },
};

async function attention({ context }: WebDeps, viewer: Viewer): Promise<SafeHtml> {
  const { db, clock } = context;
  const today = todayUtc(clock);
  const now = clock.now();
  const weekAgo = new Date(now.getTime() - SOON_DAYS * DAY_MS).toISOString();
  const dayAgo = new Date(now.getTime() - DAY_MS).toISOString();
  const admin = viewer.user.is_admin === 1;
  const [expiring, failures, instanceFailures, keys] = await Promise.all([
    // Impersonation tokens are the administrators' business: the person does not see them.
    listAccessTokens(
      db,
      {
        userId: viewer.user.id,
        kind: 'personal',
        impersonation: false,
        state: { value: 'active', today },
        expiresBefore: addDays(today, SOON_DAYS),
      },
      { limit: SHOWN, offset: 0 },
    ),
    listAuditEvents(db, {
      action: FAILED_SIGN_IN,
      entityType: 'user',
      entityId: String(viewer.user.id),
      createdAfter: weekAgo,
      limit: SHOWN,
      offset: 0,
    }),
    admin ? countAuditEvents(db, { action: FAILED_SIGN_IN, createdAfter: dayAgo }) : Promise.resolve(0),
    admin ? context.keys.list('instance') : Promise.resolve(null),
  ]);
  const rotation = keys?.next_rotation_at ?? null;
  const rotationSoon = rotation !== null && Date.parse(rotation) - now.getTime() <= SOON_DAYS * DAY_MS;
  return html`<p>
      Signed in as <strong>${viewer.user.username}</strong>${admin ? ' (administrator)' : ''}. What needs your
      attention:
    </p>
    <section class="panel" aria-labelledby="expiring-heading" data-testid="expiring-tokens">
      <h2 id="expiring-heading">Your tokens expiring within ${SOON_DAYS} days</h2>
      ${
        expiring.length === 0
          ? html`<p class="muted">None of your access tokens expires in the next ${SOON_DAYS} days.</p>`
          : html`<ul>
              ${expiring.map(
                (token) => html`<li><strong>${token.name}</strong> expires ${timeTag(token.expires_at)}</li>`,
              )}
            </ul>`
      }
      <p>
        <a href="/-/user_settings/personal_access_tokens">Access tokens</a> (rotate or replace them there)
      </p>
    </section>
    <section class="panel" aria-labelledby="failures-heading" data-testid="failed-sign-ins">
      <h2 id="failures-heading">Failed sign-ins to your account in the last ${SOON_DAYS} days</h2>
      ${
        failures.length === 0
          ? html`<p class="muted">None.</p>`
          : html`<ul>
                ${failures.map(
                  (event) =>
                    html`<li>
                      ${timeTag(event.created_at)} from <code>${event.ip_address ?? 'unknown address'}</code>
                    </li>`,
                )}
              </ul>
              ${failures.length === SHOWN ? html`<p class="muted">The ${SHOWN} most recent are shown.</p>` : ''}
              <p>Not you? <a href="/-/user_settings/password/edit">Change your password</a>.</p>`
      }
    </section>
    ${
      admin
        ? html`<section class="panel" aria-labelledby="instance-heading" data-testid="instance-attention">
            <h2 id="instance-heading">The instance</h2>
            <ul>
              <li>
                <a href="/admin/audit_logs?action=${FAILED_SIGN_IN}"
                  >${instanceFailures} failed sign-in${instanceFailures === 1 ? '' : 's'}</a
                >
                in the last 24 hours
              </li>
              <li>
                ${
                  rotation === null
                    ? html`The instance has no active signing key.`
                    : html`Next signing-key rotation
                      ${timeTag(rotation)}${rotationSoon ? html` <strong>(due within ${SOON_DAYS} days)</strong>` : ''}`
                }
                — <a href="/admin/signing_keys">Signing keys</a>
              </li>
            </ul>
          </section>`
        : ''
    }`;
}
