import { Marked, type Tokens } from 'marked';
import { escapeHtml, markupOfDocs, type SafeHtml } from '../html.ts';

/** Where the help pages live in the UI: `docs/flows/oauth.md` is `/help/flows/oauth`. */
export const HELP_PREFIX = '/help/';

/**
 * One page of `docs/` as HTML for the in-app help: GitHub-flavoured Markdown (tables, fenced code)
 * rendered by `marked`, headings with GitHub's anchors, links to other docs kept inside the UI, and
 * each Mermaid block left as its source in `<pre class="mermaid">` for the browser to draw. Raw HTML
 * in a doc is shown as text, never as markup.
 *
 * @example
 * renderDoc('See [OAuth](oauth.md#device-flow).', 'flows/personal-access-tokens')
 * // <p>See <a href="/help/flows/oauth#device-flow">OAuth</a>.</p>
 */
export function renderDoc(markdown: string, docName: string): SafeHtml {
  const slugs = new Map<string, number>();
  const marked = new Marked({ gfm: true, async: false });
  marked.use({
    renderer: {
      heading(this: { parser: { parseInline(tokens: Tokens.Generic[]): string } }, token: Tokens.Heading) {
        const id = uniqueSlug(slugs, token.text);
        return `<h${token.depth} id="${id}">${this.parser.parseInline(token.tokens)}</h${token.depth}>\n`;
      },
      code(token: Tokens.Code) {
        if (token.lang === 'mermaid') {
          return `<pre class="mermaid" data-testid="mermaid-diagram">${escapeHtml(token.text)}</pre>\n`;
        }
        const language = token.lang ? ` class="language-${escapeHtml(token.lang.split(/\s/)[0]!)}"` : '';
        return `<pre><code${language}>${escapeHtml(token.text)}</code></pre>\n`;
      },
      link(this: { parser: { parseInline(tokens: Tokens.Generic[]): string } }, token: Tokens.Link) {
        const title = token.title ? ` title="${escapeHtml(token.title)}"` : '';
        const href = escapeHtml(helpHref(token.href, docName));
        return `<a href="${href}"${title}>${this.parser.parseInline(token.tokens)}</a>`;
      },
      image(token: Tokens.Image) {
        // Screenshots live beside the docs in the repository, not in the UI: name them instead.
        return `<span class="muted">[image: ${escapeHtml(token.text || token.href)}]</span>`;
      },
      html(token: Tokens.HTML | Tokens.Tag) {
        return escapeHtml(token.text);
      },
    },
  });
  return markupOfDocs(marked.parse(markdown) as string);
}

/**
 * A link of a doc as the help UI needs it: another `.md` under `docs/` becomes its help page (anchor
 * kept); a web or mail link, an anchor on this page or a path is left as written; any other scheme
 * becomes `#`.
 */
export function helpHref(href: string, docName: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(href)?.[1]?.toLowerCase();
  // Only the web and mail: a `javascript:` link would not run under the CSP, and has no place here.
  if (scheme !== undefined) return ['http', 'https', 'mailto'].includes(scheme) ? href : '#';
  if (href.startsWith('#') || href.startsWith('/')) return href;
  const resolved = new URL(href, `https://docs.invalid/docs/${docName}`);
  const inDocs = /^\/docs\/((?:flows\/)?(?:README|[a-z0-9-]+))\.md$/.exec(resolved.pathname);
  if (!inDocs) return href;
  return `${HELP_PREFIX}${inDocs[1]}${resolved.hash}`;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function uniqueSlug(seen: Map<string, number>, text: string): string {
  const base = text
    .toLowerCase()
    .replace(/<[^>]*>/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/\s/g, '-');
  const count = seen.get(base) ?? 0;
  seen.set(base, count + 1);
  return count === 0 ? base : `${base}-${count}`;
}
