import type { TesseraError } from '../errors/tessera-error.ts';
import { html, type SafeHtml } from './html.ts';

/**
 * The Rotate and Revoke buttons of one token row, each a form that posts to `<base>/rotate` or
 * `<base>/revoke` with the CSRF token and asks for confirmation first (`data-confirm`, handled by the
 * page script; without JavaScript the post goes through at once).
 *
 * @example
 * rotateAndRevokeForms({ name: token.name, base: `${PAGE}/${token.id}`, csrfToken, rotateWarning: 'The old secret stops working at once.' });
 */
export function rotateAndRevokeForms(token: {
  name: string;
  base: string;
  csrfToken: string;
  /** What rotating does to the current secret: the two token kinds differ. */
  rotateWarning: string;
}): SafeHtml {
  return html`<form
      method="post"
      action="${token.base}/rotate"
      data-confirm="Rotate “${token.name}”? ${token.rotateWarning}"
    >
      <input type="hidden" name="authenticity_token" value="${token.csrfToken}" />
      <button type="submit" aria-label="Rotate ${token.name}">Rotate</button>
    </form>
    <form
      method="post"
      action="${token.base}/revoke"
      data-confirm="Revoke “${token.name}”? Anything using it stops working at once. This cannot be undone."
    >
      <input type="hidden" name="authenticity_token" value="${token.csrfToken}" />
      <button type="submit" class="danger" aria-label="Revoke ${token.name}">Revoke</button>
    </form>`;
}

/**
 * One labelled checkbox per scope (`name="scopes"`), each with its one-line explanation; `checked` are
 * ticked (the values a refused form is shown again with).
 */
export function scopeCheckboxes<S extends string>(
  scopes: readonly S[],
  checked: readonly string[],
  describe: (scope: S) => string,
  idPrefix: string,
): SafeHtml[] {
  return scopes.map((scope) => {
    const id = `${idPrefix}${scope}`;
    return html`<div class="checkbox">
      <input
        type="checkbox"
        id="${id}"
        name="scopes"
        value="${scope}"
        ${checked.includes(scope) ? html` checked` : ''}
      />
      <label for="${id}"><code>${scope}</code> <span class="hint">${describe(scope)}</span></label>
    </div>`;
  });
}

/**
 * The one place a new secret is shown: a read-only field the page script can copy from (the button
 * stays hidden without JavaScript, where selecting the field works instead).
 */
export function oneTimeSecretField(label: string, secret: string): SafeHtml {
  return html`<div class="new-token">
    <input
      type="text"
      id="new-token"
      data-testid="new-token"
      readonly
      autocomplete="off"
      spellcheck="false"
      aria-label="${label}"
      value="${secret}"
    />
    <button type="button" data-copy-target="new-token" hidden>Copy token</button>
  </div>`;
}

/**
 * A service's refusal as a sentence under the form: `name is too long` becomes `Token name is too
 * long.` when `labels` names the field the way the form's label does.
 */
export function fieldProblem(error: TesseraError, labels: Readonly<Record<string, string>>): string {
  const field = error.details.field;
  if (!field || !error.message.startsWith(`${field} `)) return error.message;
  return `${labels[field] ?? field} ${error.message.slice(field.length + 1)}.`;
}
