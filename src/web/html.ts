/**
 * HTML built by tagged templates: the one place where text becomes markup. Every interpolated value is
 * escaped unless it is itself {@link SafeHtml} made by {@link html}; there is no other way to build
 * markup, so a page cannot forget to escape a name, a scope or a claim. The one exception is
 * {@link markupOfDocs}, for the help pages' Markdown renderer, which escapes every raw HTML piece of
 * the docs it renders.
 */

/** Markup known to be safe: made only by {@link html} (or {@link joinHtml} of such pieces). */
export class SafeHtml {
  readonly #markup: string;

  /** @internal Only this module makes SafeHtml; pages use {@link html}. */
  constructor(markup: string, _brand: typeof BRAND) {
    this.#markup = markup;
  }

  toString(): string {
    return this.#markup;
  }
}

const BRAND = Symbol('SafeHtml');

/** What may be interpolated: text (escaped), safe markup, a list of either, or nothing. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/**
 * Escapes text for an element's content or a quoted attribute value.
 *
 * @example
 * escapeHtml('<b> & "x"') // '&lt;b&gt; &amp; &quot;x&quot;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.toString();
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * The template tag. `false`, `null` and `undefined` render as nothing, so `${cond && html`…`}` works;
 * arrays render each item. Attribute values must be quoted in the template.
 *
 * @example
 * html`<td>${token.name}</td>` // the name escaped, whatever it holds
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let markup = strings[0] ?? '';
  values.forEach((value, index) => {
    markup += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(markup, BRAND);
}

/** Pieces of markup one after the other, with `separator` (text, escaped) between them. */
export function joinHtml(pieces: readonly HtmlValue[], separator = ''): SafeHtml {
  return new SafeHtml(pieces.map(render).join(escapeHtml(separator)), BRAND);
}

/**
 * Markup rendered from the repository's own Markdown docs by `src/web/help/render-doc.ts`, which
 * escapes every raw HTML block and tag in them and every text span: the one other source of SafeHtml.
 */
export function markupOfDocs(markup: string): SafeHtml {
  return new SafeHtml(markup, BRAND);
}
