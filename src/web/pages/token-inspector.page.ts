import { tokenInspectors } from '../../runtime/token-authenticators.ts';
import { html } from '../html.ts';
import {
  inspectCredential,
  MAX_CREDENTIAL_LENGTH,
  type CredentialInspection,
  type CredentialInspectionDeps,
} from '../inspector/inspect-credential.ts';
import { renderPage } from '../layout.ts';
import { sendHtml } from '../send-html.ts';
import type { WebPage } from '../web-page.ts';
import { formFields, requireAdminViewer, textField } from '../web-request.ts';
import { inspectionResult, inspectorForm } from './token-inspector.view.ts';

const PATH = '/admin/token_inspector';

/**
 * Admin → Token inspector: paste any credential or JWT and see what it is. The value arrives in the
 * POST body only (the request logger logs no bodies), is read and dropped: it is not stored, not
 * logged, and the answer describes it without repeating it.
 */
export const tokenInspectorPage: WebPage = {
  nav: { section: 'admin', label: 'Token inspector', path: PATH },
  routes(app, { context, nav }) {
    const deps: CredentialInspectionDeps = {
      inspectors: tokenInspectors(context),
      instancePrefix: context.settings.tokenPrefix,
      jwks: () => context.keys.jwks('instance'),
      issuer: context.settings.externalUrl,
      now: () => context.clock.now(),
    };
    const shell = { title: 'Token inspector', nav, path: PATH };

    app.get(PATH, async (request, reply) => {
      const viewer = requireAdminViewer(request, context);
      const main = html`<p>
          Identify a credential found in a log, a ticket or a script: its type, owner, scopes, expiry and
          state; for a JWT, its claims and whether this instance would accept it.
        </p>
        ${inspectorForm(PATH, viewer.csrfToken, '')}`;
      return sendHtml(reply, renderPage({ ...shell, viewer, main }));
    });

    app.post(PATH, async (request, reply) => {
      const viewer = requireAdminViewer(request, context);
      const fields = formFields(request);
      const value = textField(fields, 'token');
      const audience = textField(fields, 'audience').slice(0, 500);
      const result = await inspectCredential(value, deps, audience ? { audience } : {});
      const main = html`${inspectionResult(result, masked(value, result))}
      ${inspectorForm(PATH, viewer.csrfToken, audience)}`;
      return sendHtml(reply, renderPage({ ...shell, viewer, main }));
    });
  },
};

/** How the page refers to the pasted value: what kind of thing and how long, never its characters. */
function masked(value: string, result: CredentialInspection): string {
  const length = `${Math.min(value.length, MAX_CREDENTIAL_LENGTH + 1)} characters`;
  if (result.kind === 'opaque') return `${result.prefix}… (${length})`;
  if (result.kind === 'jwt') return `JWT (${length})`;
  return value.length === 0 ? 'nothing' : `(${length})`;
}
