import { addOnsOfUser } from '../../store/add-on-seats.repository.ts';
import { AI_PLAYGROUND_SCRIPT } from '../assets.ts';
import { html } from '../html.ts';
import { notice, renderPage } from '../layout.ts';
import { sendHtml } from '../send-html.ts';
import type { WebPage } from '../web-page.ts';
import { contentSecurityPolicy } from '../web-security.ts';
import { requireViewer } from '../web-request.ts';

const PATH = '/-/ai/playground';
const DIRECT_ACCESS = '/api/v4/code_suggestions/direct_access';

/**
 * The AI playground, for a person holding an AI seat: its script gets a one-hour user AI token from
 * `direct_access` with the session (same origin, CSRF header), then calls the AI gateway directly
 * from the browser, as the Web IDE does. The page's policy lets scripts connect to the configured
 * gateway and nowhere else; the token stays in the script's memory and is never shown.
 */
export const aiPlaygroundPage: WebPage = {
  nav: { section: 'work', label: 'AI playground', path: PATH },
  routes(app, { context, nav }) {
    const gateway = new URL(context.settings.cloudConnector.aiGatewayUrl).origin;

    app.get(PATH, async (request, reply) => {
      const viewer = requireViewer(request, context);
      const seats = await addOnsOfUser(context.db, viewer.user.id);
      const main = html`<p>
          Try code completion from the AI gateway at <code>${gateway}</code>. The page asks this instance for
          a short-lived user AI token (<code>POST ${DIRECT_ACCESS}</code>), then sends your code straight to
          the gateway with it.
        </p>
        ${
          seats.length === 0
            ? notice(
                'warning',
                'You hold no AI seat, so the instance will refuse you a token. Ask an administrator to assign one.',
              )
            : html`<p class="muted" data-testid="seats">Your seats: ${seats.join(', ')}</p>`
        }
        <noscript
          >${notice('warning', 'The playground needs JavaScript: it calls the gateway from your browser.')}</noscript
        >
        <form
          method="post"
          action="${PATH}"
          class="panel"
          data-ai-playground
          data-direct-access="${DIRECT_ACCESS}"
          aria-label="AI playground"
        >
          <input type="hidden" name="authenticity_token" value="${viewer.csrfToken}" />
          <label for="ai_file_name">File name</label>
          <input type="text" id="ai_file_name" name="file_name" value="hello.py" maxlength="200" />
          <label for="ai_code">Code before the cursor</label>
          <textarea id="ai_code" name="content_above_cursor" required spellcheck="false">
def fibonacci(n):
</textarea>
          <div><button type="submit" class="primary" data-ai-submit hidden>Complete</button></div>
        </form>
        <section class="panel" aria-labelledby="ai-result-heading" aria-live="polite">
          <h2 id="ai-result-heading">Completion</h2>
          <p class="notice error" role="alert" data-testid="ai-error" hidden></p>
          <pre class="claims" data-testid="ai-completion"></pre>
          <dl class="facts">
            <dt>Model</dt>
            <dd data-testid="ai-model">—</dd>
            <dt>User AI token expires</dt>
            <dd data-testid="ai-token-expiry">—</dd>
          </dl>
        </section>`;
      void reply.header('content-security-policy', contentSecurityPolicy([gateway]));
      return sendHtml(
        reply,
        renderPage({
          title: 'AI playground',
          viewer,
          nav,
          path: PATH,
          docs: {
            label: 'Self-managed AI access (Cloud Connector)',
            href: '/help/flows/self-managed-ai-access',
          },
          scripts: [AI_PLAYGROUND_SCRIPT],
          main,
        }),
      );
    });

    // Without script the form has no button, but Enter in a field still posts it: back to the page.
    app.post(PATH, async (request, reply) => {
      requireViewer(request, context);
      return reply.redirect(PATH, 303);
    });
  },
};
