import { existsSync, readFileSync } from 'node:fs';
import { notFound } from '../../errors/tessera-error.ts';
import { HELP_SCRIPT, MERMAID_SCRIPT } from '../assets.ts';
import { renderDoc } from '../help/render-doc.ts';
import { html } from '../html.ts';
import { renderPage } from '../layout.ts';
import { sendHtml } from '../send-html.ts';
import type { WebPage } from '../web-page.ts';
import { viewerOf } from '../web-request.ts';
import { HELP_CONTENT_SECURITY_POLICY } from '../web-security.ts';

/** The repository's docs folder: shipped with the code, so the instance can show its own flow pages. */
const DOCS = new URL('../../../docs/', import.meta.url);
/** A doc name is a path of lowercase words (or a folder's README): nothing that could climb out of the folder. */
const DOC_NAME = /^(?:flows\/)?(?:README|[a-z0-9]+(?:-[a-z0-9]+)*)$/;

type DocParams = { Params: { '*': string } };

/**
 * `GET /help/<doc>` and `/help/flows/<flow>`: the Markdown pages under `docs/` as HTML, their Mermaid
 * sequence diagrams drawn in the browser, so each settings page can link to the flow it drives.
 * Public, like the docs themselves.
 */
export const helpPage: WebPage = {
  routes(app, { context, nav }) {
    app.get<DocParams>('/help/*', async (request, reply) => {
      const name = request.params['*'];
      const file = DOC_NAME.test(name) ? new URL(`${name}.md`, DOCS) : null;
      if (!file || !existsSync(file)) throw notFound('Page');
      const text = readFileSync(file, 'utf8');
      const title = /^# (.+)$/m.exec(text)?.[1] ?? name;
      // The page's own <h1> is the doc's first heading; the rest of the doc follows it.
      const body = text.replace(/^# .+\n/m, '');
      const main = html`<p class="muted">From <code>docs/${name}.md</code> in the Tessera repository.</p>
        <article class="doc" data-testid="doc-text">${renderDoc(body, name)}</article>`;
      const scripts = text.includes('```mermaid') ? [MERMAID_SCRIPT, HELP_SCRIPT] : [];
      void reply.header('content-security-policy', HELP_CONTENT_SECURITY_POLICY);
      return sendHtml(reply, renderPage({ title, viewer: viewerOf(request, context), nav, main, scripts }));
    });
  },
};
