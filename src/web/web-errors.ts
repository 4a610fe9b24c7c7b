import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TesseraError } from '../errors/tessera-error.ts';
import { html, type SafeHtml } from './html.ts';
import { signInLocation } from './sign-in-refusal.ts';
import { renderPage } from './layout.ts';
import type { WebDeps } from './web-page.ts';
import { viewerOf } from './web-request.ts';

/** What a person is told for each refusal; the words never depend on the credential presented. */
const EXPLANATIONS: Record<number, { title: string; text: string }> = {
  400: { title: 'Bad request', text: 'The form could not be read. Go back and try again.' },
  401: { title: 'Sign in required', text: 'Your session has ended or you are not signed in.' },
  403: {
    title: 'Request refused',
    text: 'This form was not sent from a current Tessera page (its CSRF token is missing or stale). Reload the page and try again.',
  },
  404: { title: 'Page not found', text: 'There is no such page, or you may not see it.' },
  429: { title: 'Too many requests', text: 'Wait a moment, then try again.' },
};

/**
 * Errors on web routes become HTML pages instead of the API's JSON bodies: a page that needs a
 * session sends a signed-out visitor to the sign-in page, an admin page is a plain 404 to anyone
 * else, a form without its CSRF token is a 403 that says so.
 */
export function installWebErrorPages(app: FastifyInstance, deps: WebDeps): void {
  app.setErrorHandler((error: FastifyError | TesseraError, request: FastifyRequest, reply: FastifyReply) => {
    const status =
      error instanceof TesseraError
        ? error.status
        : error.validation
          ? 400
          : error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500
            ? error.statusCode
            : 500;
    if (status === 401 && request.method === 'GET') return reply.redirect(signInLocation(request.url), 302);
    if (status >= 500) request.log.error({ err: error }, 'web request failed');
    return sendErrorPage(reply, deps, request, status);
  });
}

function sendErrorPage(reply: FastifyReply, deps: WebDeps, request: FastifyRequest, status: number) {
  const explained = EXPLANATIONS[status] ?? {
    title: status >= 500 ? 'Something went wrong' : 'Request refused',
    text: status >= 500 ? 'The error was logged. Try again later.' : 'The request could not be handled.',
  };
  // A 401 means the session is gone: the page is drawn as for a signed-out visitor.
  const viewer = status === 401 ? null : viewerOf(request, deps.context);
  const body: SafeHtml = html`<p class="error-text" data-testid="error-text">${explained.text}</p>
    <p>
      ${viewer ? html`<a href="/">Back to the start page</a>` : html`<a href="/users/sign_in">Sign in</a>`}
    </p>`;
  return reply
    .status(status)
    .type('text/html; charset=utf-8')
    .send(renderPage({ title: explained.title, viewer, nav: deps.nav, main: body }).toString());
}
