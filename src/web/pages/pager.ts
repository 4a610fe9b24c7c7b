import { html, type SafeHtml } from '../html.ts';

/** The page number a `page` query parameter asks for; 1 for anything odd. */
export function pageNumber(raw: string): number {
  return /^\d{1,6}$/.test(raw) && Number(raw) > 0 ? Number(raw) : 1;
}

/** "Newer / Older" links that keep the page's filters (empty ones are left out of the URL). */
export function pager(
  path: string,
  filters: Record<string, string>,
  page: number,
  hasNext: boolean,
): SafeHtml {
  const link = (to: number) => {
    const params = new URLSearchParams(Object.entries(filters).filter(([, value]) => value !== ''));
    params.set('page', String(to));
    return `${path}?${params.toString()}`;
  };
  if (page === 1 && !hasNext) return html``;
  return html`<nav class="pager" aria-label="Pagination">
    ${page > 1 ? html`<a href="${link(page - 1)}" rel="prev">← Previous page</a>` : ''}
    <span class="muted">Page ${page}</span>
    ${hasNext ? html`<a href="${link(page + 1)}" rel="next">Next page →</a>` : ''}
  </nav>`;
}
