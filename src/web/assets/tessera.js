// Progressive enhancement for the Tessera web UI. Every page works without it: forms post, links
// navigate. With it, destructive forms ask for confirmation and new secrets get a copy button.
// Loaded as a file (the Content-Security-Policy allows no inline script).
'use strict';

document.addEventListener('submit', (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) event.preventDefault();
});

async function copyFrom(input) {
  try {
    await navigator.clipboard.writeText(input.value);
    return true;
  } catch {
    // No clipboard permission (an insecure origin, an old browser): select the text for Ctrl+C.
    input.select();
    return document.execCommand('copy');
  }
}

document.addEventListener('DOMContentLoaded', () => {
  for (const button of document.querySelectorAll('button[data-copy-target]')) {
    const input = document.getElementById(button.dataset.copyTarget);
    if (!input) continue;
    button.hidden = false;
    button.addEventListener('click', async () => {
      const copied = await copyFrom(input);
      button.textContent = copied ? 'Copied' : 'Press Ctrl+C to copy';
    });
  }
});
