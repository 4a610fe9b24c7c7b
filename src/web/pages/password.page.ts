import { TesseraError } from '../../errors/tessera-error.ts';
import { PASSWORD_MIN_LENGTH } from '../../identity/password.ts';
import { changeOwnPassword } from '../../identity/user.service.ts';
import { html } from '../html.ts';
import { notice, renderPage } from '../layout.ts';
import { sendHtml } from '../send-html.ts';
import { SIGN_IN_PATH } from '../sign-in-refusal.ts';
import { fieldProblem } from '../token-forms.ts';
import type { WebPage } from '../web-page.ts';
import { formFields, requireViewer, webActor, type Viewer } from '../web-request.ts';

const PATH = '/-/user_settings/password';
const EDIT_PATH = `${PATH}/edit`;
const LABELS: Record<string, string> = {
  current_password: 'Current password',
  password: 'New password',
  password_confirmation: 'Password confirmation',
};

/**
 * User settings → Password: a person changes their own password, giving the current one. The domain
 * ends every session of theirs (this one too), so the page hands over to the sign-in form.
 */
export const passwordPage: WebPage = {
  nav: { section: 'user', label: 'Password', path: EDIT_PATH },
  routes(app, { context, nav }) {
    const render = (viewer: Viewer, problem?: string) =>
      renderPage({
        title: 'Password',
        viewer,
        nav,
        path: EDIT_PATH,
        main: html`${problem ? notice('error', problem) : ''}
          <form method="post" action="${PATH}" class="panel" aria-label="Change password">
            <input type="hidden" name="authenticity_token" value="${viewer.csrfToken}" />
            <input
              type="text"
              name="username"
              value="${viewer.user.username}"
              autocomplete="username"
              hidden
            />
            <label for="current_password">Current password</label>
            <input
              type="password"
              id="current_password"
              name="current_password"
              autocomplete="current-password"
              required
            />
            <label for="new_password"
              >New password <span class="hint">(at least ${PASSWORD_MIN_LENGTH} characters)</span></label
            >
            <input type="password" id="new_password" name="password" autocomplete="new-password" required />
            <label for="password_confirmation">Password confirmation</label>
            <input
              type="password"
              id="password_confirmation"
              name="password_confirmation"
              autocomplete="new-password"
              required
            />
            <p class="hint">
              Changing it signs you out everywhere, here too: you sign in again with the new one.
            </p>
            <button type="submit" class="primary">Save password</button>
          </form>`,
      });

    app.get(EDIT_PATH, async (request, reply) => sendHtml(reply, render(requireViewer(request, context))));

    app.post(PATH, async (request, reply) => {
      const viewer = requireViewer(request, context);
      const fields = formFields(request);
      // Passwords are taken as typed: spaces may be part of them.
      const raw = (name: string) => (typeof fields[name] === 'string' ? fields[name] : '');
      const password = raw('password');
      if (password !== raw('password_confirmation'))
        return sendHtml(reply, render(viewer, "Password confirmation doesn't match the new password."), 400);
      try {
        await changeOwnPassword(context.db, context.clock, webActor(request, viewer), viewer.user, {
          current: raw('current_password'),
          password,
        });
      } catch (error) {
        if (!(error instanceof TesseraError) || error.code !== 'bad_request') throw error;
        return sendHtml(reply, render(viewer, fieldProblem(error, LABELS)), error.status);
      }
      return reply.redirect(`${SIGN_IN_PATH}?notice=password_changed`, 303);
    });
  },
};
