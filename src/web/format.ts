import { html, type SafeHtml } from './html.ts';

/**
 * An instant or a date as a `<time>` element: UTC, minutes precision, the exact value in `datetime`.
 * Every time in Tessera is UTC; saying so beats guessing the viewer's zone without script.
 *
 * @example
 * timeTag('2026-03-01T12:00:00.000Z') // <time datetime="2026-03-01T12:00:00.000Z">2026-03-01 12:00 UTC</time>
 * timeTag('2026-06-01')               // <time datetime="2026-06-01">2026-06-01</time>
 * timeTag(null, 'Never')              // Never
 */
export function timeTag(value: string | null | undefined, missing = '—'): SafeHtml {
  if (!value) return html`${missing}`;
  const shown = /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? value
    : (/^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(value)?.slice(1).join(' ').concat(' UTC') ?? value);
  return html`<time datetime="${value}">${shown}</time>`;
}

/** A state as a badge; the class colours it, the text says it. */
export function badge(text: string, kind: string = text): SafeHtml {
  return html`<span class="badge ${kind}">${text}</span>`;
}
