// Live preview of an ID token's `sub` on the CI/CD settings page. Without this script the form's
// "Preview" button asks the server to render the same preview; with it, every change to the chosen
// components or the sample job asks the page's JSON endpoint (same origin, a read-only GET) and the
// preview follows at once. The endpoint builds the claims with the functions CI jobs use.
'use strict';

function previewQuery(form) {
  const params = new window.URLSearchParams();
  for (const [name, value] of new window.FormData(form)) {
    if (name !== 'authenticity_token' && typeof value === 'string') params.append(name, value);
  }
  return params;
}

function enhance(form) {
  const sub = form.querySelector('#sub-preview');
  const claims = form.querySelector('#claims-preview');
  const problem = form.querySelector('#sub-problem');
  const button = form.querySelector('[data-preview-button]');
  if (!sub || !claims || !problem) return;
  if (button) button.hidden = true;
  let latest = 0;

  async function refresh() {
    const asked = ++latest;
    const response = await window.fetch(`${form.dataset.subPreview}?${previewQuery(form)}`, {
      headers: { accept: 'application/json' },
      credentials: 'same-origin',
    });
    const body = await response.json().catch(() => ({ message: 'The preview is not available.' }));
    // An older answer arriving after a newer one must not win.
    if (asked !== latest) return;
    if (response.ok) {
      sub.textContent = body.sub;
      claims.textContent = JSON.stringify(body.claims, null, 2);
      problem.hidden = true;
      problem.textContent = '';
    } else {
      sub.textContent = '';
      claims.textContent = '';
      problem.textContent = body.message;
      problem.hidden = false;
    }
    form.dataset.previewed = String(asked);
  }

  form.addEventListener('change', () => void refresh());
  form.addEventListener('input', (event) => {
    if (event.target instanceof window.HTMLInputElement) void refresh();
  });
}

document.addEventListener('DOMContentLoaded', () => {
  for (const form of document.querySelectorAll('form[data-sub-preview]')) enhance(form);
});
