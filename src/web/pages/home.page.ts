import { html } from '../html.ts';
import { renderPage } from '../layout.ts';
import { sendHtml } from '../send-html.ts';
import { SIGN_IN_PATH } from '../sign-in-refusal.ts';
import type { WebPage } from '../web-page.ts';
import { viewerOf } from '../web-request.ts';

/** `GET /`: where sign-in lands. Signed out, it is the sign-in page; signed in, a map of the pages. */
export const homePage: WebPage = {
  routes(app, { context, nav }) {
    app.get('/', async (request, reply) => {
      const viewer = viewerOf(request, context);
      if (!viewer) return reply.redirect(SIGN_IN_PATH, 302);
      const visible = nav.filter((entry) => entry.section !== 'admin' || viewer.user.is_admin === 1);
      const main = html`<p>
          Signed in as
          <strong>${viewer.user.username}</strong>${viewer.user.is_admin ? ' (administrator)' : ''}.
        </p>
        <ul class="panel">
          ${visible.map((entry) => html`<li><a href="${entry.path}">${entry.label}</a></li>`)}
        </ul>`;
      return sendHtml(reply, renderPage({ title: 'Welcome to Tessera', viewer, nav, path: '/', main }));
    });
  },
};
