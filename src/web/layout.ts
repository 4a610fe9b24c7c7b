import { html, type HtmlValue, type SafeHtml } from './html.ts';
import type { NavEntry, NavSection } from './web-page.ts';
import type { Viewer } from './web-request.ts';

/** Where the stylesheet and the one script are served from (both same-origin, as the CSP demands). */
export const STYLESHEET_PATH = '/assets/tessera.css';
/** The tab icon; `/favicon.ico` answers the same for browsers that ask before reading the page. */
export const FAVICON_PATH = '/assets/favicon.svg';
export const SCRIPT_PATH = '/assets/tessera.js';

const SECTION_LABELS: Record<NavSection, string> = {
  work: 'Your work',
  user: 'User settings',
  admin: 'Admin',
};

export interface PageShell {
  title: string;
  /** Null on pages for signed-out visitors (sign-in, errors before sign-in). */
  viewer: Viewer | null;
  nav: readonly NavEntry[];
  /** The path of the page, to mark its navigation entry. */
  path?: string;
  /** The flow page that explains what this page manages. */
  docs?: { label: string; href: string };
  /** Same-origin scripts of this page alone (progressive enhancement), after the shared one. */
  scripts?: readonly string[];
  main: HtmlValue;
}

/**
 * The document around every page: header with the signed-in user and sign-out, the navigation the
 * viewer may use (admin entries only for administrators), and the page's content.
 */
export function renderPage(shell: PageShell): SafeHtml {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${shell.title} · Tessera</title>
        <link rel="stylesheet" href="${STYLESHEET_PATH}" />
        <link rel="icon" href="${FAVICON_PATH}" type="image/svg+xml" />
        <script src="${SCRIPT_PATH}" defer></script>
        ${(shell.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/">Tessera</a>
          ${shell.viewer ? userBox(shell.viewer) : ''}
        </header>
        <div class="frame">
          ${shell.viewer ? navigation(shell.nav, shell.viewer, shell.path) : ''}
          <main id="content">
            <h1>${shell.title}</h1>
            ${shell.docs ? html`<p class="docs-link">How this works: <a href="${shell.docs.href}">${shell.docs.label}</a></p>` : ''}
            ${shell.main}
          </main>
        </div>
      </body>
    </html>`;
}

function userBox(viewer: Viewer): SafeHtml {
  return html`<div class="user-box">
    <span class="signed-in-as" data-testid="signed-in-user"
      >${viewer.user.name} <span class="muted">@${viewer.user.username}</span></span
    >
    <form method="post" action="/users/sign_out" class="inline">
      <input type="hidden" name="authenticity_token" value="${viewer.csrfToken}" />
      <button type="submit" class="link-button">Sign out</button>
    </form>
  </div>`;
}

function navigation(nav: readonly NavEntry[], viewer: Viewer, current: string | undefined): SafeHtml {
  const sections = (Object.keys(SECTION_LABELS) as NavSection[]).filter(
    (section) => section !== 'admin' || viewer.user.is_admin === 1,
  );
  return html`<nav class="side" aria-label="Main">
    ${sections.map((section) => {
      const entries = nav.filter((entry) => entry.section === section);
      if (entries.length === 0) return '';
      return html`<h2>${SECTION_LABELS[section]}</h2>
        <ul>
          ${entries.map(
            (entry) =>
              html`<li>
                <a href="${entry.path}" ${entry.path === current ? html` aria-current="page"` : ''}
                  >${entry.label}</a
                >
              </li>`,
          )}
        </ul>`;
    })}
  </nav>`;
}

/** A notice above a page's content: `role="status"` for good news, `role="alert"` for problems. */
export function notice(kind: 'success' | 'error' | 'warning', message: HtmlValue): SafeHtml {
  return html`<div class="notice ${kind}" role="${kind === 'success' ? 'status' : 'alert'}">${message}</div>`;
}
