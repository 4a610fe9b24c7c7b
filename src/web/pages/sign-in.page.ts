import { html } from '../html.ts';
import { notice, renderPage } from '../layout.ts';
import { sendHtml } from '../send-html.ts';
import { safeReturnPath, SIGN_IN_PATH, signInRefusalMessage } from '../sign-in-refusal.ts';
import type { WebPage } from '../web-page.ts';
import { queryText, viewerOf } from '../web-request.ts';

/**
 * `GET /users/sign_in`: the form GitLab's users know (`user[login]`, `user[password]`), posted to the
 * existing sign-in route, which comes back here with the reason when it refuses. Sign-out is the
 * header's form on every page.
 */
export const signInPage: WebPage = {
  routes(app, { context, nav }) {
    app.get(SIGN_IN_PATH, async (request, reply) => {
      const returnTo = safeReturnPath(queryText(request, 'redirect_to'), context.settings.externalUrl);
      if (viewerOf(request, context)) return reply.redirect(returnTo ?? '/', 302);
      const refusal = signInRefusalMessage(queryText(request, 'error'), queryText(request, 'retry_after'));
      const main = html`${refusal ? notice('error', refusal) : ''}
        <form method="post" action="${SIGN_IN_PATH}" class="panel" aria-label="Sign in">
          ${returnTo ? html`<input type="hidden" name="redirect_to" value="${returnTo}" />` : ''}
          <label for="user_login">Username or email</label>
          <input
            type="text"
            id="user_login"
            name="user[login]"
            autocomplete="username"
            autocapitalize="none"
            required
            autofocus
          />
          <label for="user_password">Password</label>
          <input
            type="password"
            id="user_password"
            name="user[password]"
            autocomplete="current-password"
            required
          />
          <div><button type="submit" class="primary">Sign in</button></div>
        </form>`;
      return sendHtml(reply, renderPage({ title: 'Sign in', viewer: null, nav, main }));
    });
  },
};
