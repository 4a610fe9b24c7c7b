import type { Namespace, Visibility } from '../../store/schema.ts';
import { html, type SafeHtml } from '../html.ts';

/*
 * The fields the new-group and new-project forms share. The services decide what is allowed (a
 * subgroup or a group's project never more open than its group; who may create where); the forms
 * only offer the choices and show the refusal.
 */

export const VISIBILITIES: readonly Visibility[] = ['private', 'internal', 'public'];

const VISIBILITY_HINTS: Record<Visibility, string> = {
  private: 'only members',
  internal: 'any signed-in person',
  public: 'anyone, signed in or not',
};

/** The chosen visibility, or undefined for anything else (the service's default, `private`). */
export function visibilityOf(value: string): Visibility | undefined {
  return (VISIBILITIES as readonly string[]).includes(value) ? (value as Visibility) : undefined;
}

export function visibilityRadios(idPrefix: string, chosen: Visibility): SafeHtml {
  return html`<fieldset>
    <legend>Visibility</legend>
    ${VISIBILITIES.map(
      (visibility) =>
        html`<div class="checkbox">
          <input
            type="radio"
            id="${idPrefix}${visibility}"
            name="visibility"
            value="${visibility}"
            ${visibility === chosen ? html` checked` : ''}
          />
          <label for="${idPrefix}${visibility}"
            >${visibility} <span class="hint">${VISIBILITY_HINTS[visibility]}</span></label
          >
        </div>`,
    )}
  </fieldset>`;
}

/** A select of namespaces by id; `first` is the option for none (top level) or the personal one. */
export function namespaceSelect(
  id: string,
  label: string,
  first: { value: string; label: string },
  namespaces: readonly Namespace[],
  chosen: string,
): SafeHtml {
  return html`<label for="${id}">${label}</label>
    <select id="${id}" name="namespace_id">
      <option value="${first.value}">${first.label}</option>
      ${namespaces.map(
        (namespace) =>
          html`<option
            value="${String(namespace.id)}"
            ${String(namespace.id) === chosen ? html` selected` : ''}
          >
            ${namespace.full_path}
          </option>`,
      )}
    </select>`;
}
