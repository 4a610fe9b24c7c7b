import { isPreSession, newPreSession, signInTokenFor } from '../../identity/sign-in-token.ts';
import { PRE_SESSION_COOKIE, preSessionCookieOptions } from '../../http/session-authentication.ts';
import { html } from '../html.ts';
import { notice, renderPage } from '../layout.ts';
import { sendHtml } from '../send-html.ts';
import { safeReturnPath, SIGN_IN_PATH, signInRefusalMessage } from '../sign-in-refusal.ts';
import type { WebPage } from '../web-page.ts';
import { queryText, viewerOf } from '../web-request.ts';

/**
 * `GET /users/sign_in`: the form GitLab's users know (`user[login]`, `user[password]`), posted to the
 * existing sign-in route, which comes back here with the reason when it refuses. Sign-out is the
 * header's form on every page. The form carries an authenticity token bound to a pre-session cookie
 * set here, so another site cannot sign a browser in (see `installCsrfProtection`).
 */
export const signInPage: WebPage = {
  routes(app, { context, nav }) {
    app.get(SIGN_IN_PATH, async (request, reply) => {
      const returnTo = safeReturnPath(queryText(request, 'redirect_to'), context.settings.externalUrl);
      if (viewerOf(request, context)) return reply.redirect(returnTo ?? '/', 302);
      // The form's token is bound to this browser's pre-session cookie (login CSRF); kept across tries.
      let preSession = request.cookies[PRE_SESSION_COOKIE];
      if (!isPreSession(preSession)) {
        preSession = newPreSession();
        void reply.setCookie(PRE_SESSION_COOKIE, preSession, preSessionCookieOptions(context.settings));
      }
      const token = signInTokenFor(context.secrets.digester, preSession);
      const refusal = signInRefusalMessage(queryText(request, 'error'), queryText(request, 'retry_after'));
      // A fixed text, so a crafted link can say nothing else.
      const changed = queryText(request, 'notice') === 'password_changed';
      const main = html`${refusal ? notice('error', refusal) : ''}
        ${changed && !refusal ? notice('success', 'Your password was changed. Sign in with the new one.') : ''}
        <form method="post" action="${SIGN_IN_PATH}" class="panel" aria-label="Sign in">
          <input type="hidden" name="authenticity_token" value="${token}" />
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
