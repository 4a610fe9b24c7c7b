import { SUB_CLAIM_KEYS } from '../../tokens/id-token/sub-claim.ts';
import { html, type SafeHtml } from '../html.ts';
import type { SampleJob, SubPreview } from './sample-id-token.ts';

/** How many components the form offers; no trust policy needs more. */
export const SUB_COMPONENT_SLOTS = 6;
const SOURCES = ['push', 'web', 'api', 'trigger', 'schedule', 'merge_request_event'] as const;

export interface SubFormState {
  /** The components shown in the slots (saved, or as just chosen). */
  components: readonly string[];
  /** The project's saved components. */
  saved: readonly string[];
  sample: SampleJob;
  preview: SubPreview;
}

/**
 * The `sub` composition: one select per position (order matters to trust policies), the sample job
 * the preview imagines, Save, and Preview (the server renders it; with script, the preview follows
 * every change through the JSON endpoint and the button is not needed).
 */
export function subClaimSection(base: string, csrfToken: string, state: SubFormState): SafeHtml {
  const slots = Array.from({ length: SUB_COMPONENT_SLOTS }, (_, i) => state.components[i] ?? '');
  return html`<section class="panel" aria-labelledby="sub-heading" id="id-token-sub">
    <h2 id="sub-heading">ID token <code>sub</code></h2>
    <p>
      Clouds and vaults match the <code>sub</code> claim of a job's ID token in their trust policies. Choose
      the claims it is made of, in order; the first must identify the project. Saved now:
      <code data-testid="saved-sub-components">${state.saved.join(', ')}</code>.
    </p>
    <form
      method="post"
      action="${base}/id_token_sub"
      data-sub-preview="${base}/id_token_sub/preview.json"
      aria-label="ID token sub components"
    >
      <input type="hidden" name="authenticity_token" value="${csrfToken}" />
      <fieldset>
        <legend>Components of <code>sub</code>, in order</legend>
        <div class="slots">
          ${slots.map(
            (value, i) =>
              html`<div>
                <label for="sub_component_${i + 1}">Component ${i + 1}</label>
                <select id="sub_component_${i + 1}" name="components">
                  <option value="" ${value === '' ? html` selected` : ''}>(none)</option>
                  ${SUB_CLAIM_KEYS.map(
                    (key) =>
                      html`<option value="${key}" ${key === value ? html` selected` : ''}>${key}</option>`,
                  )}
                </select>
              </div>`,
          )}
        </div>
      </fieldset>
      <fieldset>
        <legend>Sample job for the preview</legend>
        <div class="slots">
          <div>
            <label for="sample_ref">Ref</label>
            <input
              type="text"
              id="sample_ref"
              name="ref"
              required
              maxlength="255"
              value="${state.sample.ref}"
            />
          </div>
          <div>
            <label for="sample_ref_type">Ref type</label>
            <select id="sample_ref_type" name="ref_type">
              ${(['branch', 'tag'] as const).map(
                (type) =>
                  html`<option value="${type}" ${type === state.sample.refType ? html` selected` : ''}>
                    ${type}
                  </option>`,
              )}
            </select>
          </div>
          <div>
            <label for="sample_source">Pipeline source</label>
            <select id="sample_source" name="source">
              ${SOURCES.map(
                (source) =>
                  html`<option value="${source}" ${source === state.sample.source ? html` selected` : ''}>
                    ${source}
                  </option>`,
              )}
            </select>
          </div>
          <div>
            <label for="sample_environment">Environment <span class="hint">(optional)</span></label>
            <input
              type="text"
              id="sample_environment"
              name="environment"
              maxlength="255"
              value="${state.sample.environment}"
            />
          </div>
        </div>
      </fieldset>
      <div class="buttons">
        <button type="submit" formaction="${base}/id_token_sub/preview" data-preview-button>Preview</button>
        <button type="submit" class="primary">Save sub components</button>
      </div>
      ${previewPanel(state.preview)}
    </form>
  </section>`;
}

/** The preview: the `sub`, and the sample token's whole claim set as JSON. */
export function previewPanel(preview: SubPreview): SafeHtml {
  return html`<div class="sub-preview" aria-live="polite">
    <p
      class="notice error"
      role="alert"
      id="sub-problem"
      data-testid="sub-problem"
      ${preview.ok ? html` hidden` : ''}
    >
      ${preview.ok ? '' : preview.problem}
    </p>
    <p>
      <code>sub</code> of the next job:
      <output id="sub-preview" data-testid="sub-preview">${preview.ok ? preview.sub : ''}</output>
    </p>
    <details open>
      <summary>Every claim of a sample ID token</summary>
      <pre class="claims" id="claims-preview" data-testid="claims-preview">
${preview.ok ? JSON.stringify(preview.claims, null, 2) : ''}</pre>
    </details>
  </div>`;
}
