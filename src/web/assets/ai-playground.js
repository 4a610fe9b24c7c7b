// The AI playground: a user AI token from this instance's direct_access endpoint (same origin, with
// the session cookie and the CSRF header), then a completion straight from the AI gateway (cross
// origin: the gateway's CORS admits this instance's origin, the page's CSP admits the gateway). The
// token lives in this function's variables only: never shown, never stored.
'use strict';

function show(form, testId, text) {
  const element = form.ownerDocument.querySelector(`[data-testid="${testId}"]`);
  if (element) element.textContent = text;
}

function fail(form, message) {
  const box = form.ownerDocument.querySelector('[data-testid="ai-error"]');
  box.textContent = message;
  box.hidden = false;
}

async function complete(form) {
  const fields = new window.FormData(form);
  const box = form.ownerDocument.querySelector('[data-testid="ai-error"]');
  box.hidden = true;
  show(form, 'ai-completion', 'Asking for a user AI token…');
  const access = await window.fetch(form.dataset.directAccess, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { accept: 'application/json', 'x-csrf-token': String(fields.get('authenticity_token')) },
  });
  const grant = await access.json().catch(() => ({}));
  if (!access.ok) {
    show(form, 'ai-completion', '');
    return fail(form, `The instance refused a user AI token (${access.status}): ${grant.message ?? ''}`);
  }
  show(form, 'ai-token-expiry', new Date(grant.expires_at * 1000).toISOString().replace(/\.\d+Z$/, 'Z'));
  show(form, 'ai-completion', `Calling ${grant.base_url}…`);
  const answer = await window.fetch(`${grant.base_url}/v2/completions`, {
    method: 'POST',
    mode: 'cors',
    credentials: 'omit',
    headers: { ...grant.headers, authorization: `Bearer ${grant.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      current_file: {
        file_name: String(fields.get('file_name') ?? ''),
        content_above_cursor: String(fields.get('content_above_cursor') ?? ''),
        content_below_cursor: '',
      },
    }),
  });
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    show(form, 'ai-completion', '');
    return fail(
      form,
      `The AI gateway refused the request (${answer.status}): ${body.message ?? body.detail ?? ''}`,
    );
  }
  show(form, 'ai-completion', body.choices?.[0]?.text ?? '');
  show(form, 'ai-model', `${body.model?.engine ?? ''} ${body.model?.name ?? ''}`.trim());
  form.dataset.completed = 'true';
}

document.addEventListener('DOMContentLoaded', () => {
  for (const form of document.querySelectorAll('form[data-ai-playground]')) {
    const button = form.querySelector('[data-ai-submit]');
    if (button) button.hidden = false;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      complete(form).catch((error) => fail(form, `The request failed: ${error.message}`));
    });
  }
});
