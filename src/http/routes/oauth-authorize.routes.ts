import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TesseraError } from '../../errors/tessera-error.ts';
import { csrfTokenFor } from '../../identity/session.service.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import {
  checkAuthorizationRequest,
  redirectWith,
  type AuthorizationParams,
} from '../../tokens/oauth/authorization-request.ts';
import { approveAuthorization, sessionAuthTime } from '../../tokens/oauth/authorization.service.ts';
import {
  decideDeviceAuthorization,
  findPendingDeviceAuthorization,
} from '../../tokens/oauth/device-authorization.service.ts';
import { oauthDeps } from '../../tokens/oauth/oauth-deps.ts';
import { scopeString } from '../../tokens/oauth/oauth-scopes.ts';
import { actorOf } from '../authenticate.ts';
import { SESSION_COOKIE } from '../session-authentication.ts';
import { signInLocation } from '../../web/sign-in-refusal.ts';
import {
  authorizationErrorPage,
  consentPage,
  deviceConsentPage,
  deviceDonePage,
  deviceEntryPage,
  plainErrorPage,
} from './oauth-pages.ts';
import { declaredView, parameters } from '../route-parameters.ts';
import { exempt } from '../route-permission.ts';

type Params = Record<string, unknown>;

/** What `checkAuthorizationRequest` reads (RFC 6749 §4.1.1, PKCE, OpenID Connect's nonce). */
const AUTHORIZATION_REQUEST = {
  client_id: { type: 'string', required: true, description: 'The application' },
  redirect_uri: { type: 'string', format: 'uri', description: 'One of its registered redirect URIs' },
  response_type: { type: 'string', required: true, enum: ['code'], description: 'Always code' },
  scope: { type: 'string', description: 'Scopes, space-separated' },
  state: { type: 'string', description: 'Handed back on the redirect' },
  code_challenge: { type: 'string', description: 'PKCE challenge' },
  code_challenge_method: { type: 'string', enum: ['S256'], description: 'PKCE method' },
  nonce: { type: 'string', description: 'Put into the ID token' },
} as const;

const DECISION = {
  decision: { type: 'string', enum: ['approve', 'deny'], description: "The person's answer" },
} as const;

/**
 * The browser side of the OAuth provider: `GET /oauth/authorize` (consent, skipped for trusted
 * applications), the consent form's `POST /oauth/authorize`, and the device verification page
 * `/oauth/device`. All need a signed-in session (not a token): without one the browser is sent to
 * sign in, with the page to come back to in `redirect_to`. The forms are CSRF-protected by the
 * instance's session hook (`authenticity_token`).
 */
export async function oauthAuthorizeRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const deps = oauthDeps(options.context);
  installPageErrors(app);

  /** The signed-in session's user and CSRF token, or null after sending the browser to sign in. */
  const signedIn = (request: FastifyRequest, reply: FastifyReply) => {
    const principal = request.principal;
    const sessionId = request.cookies[SESSION_COOKIE];
    if (principal?.credential.kind !== 'session' || !sessionId) {
      void reply.redirect(signInLocation(request.url), 302);
      return null;
    }
    return { principal, csrfToken: csrfTokenFor(deps.digester, sessionId) };
  };

  const authorize = async (
    request: FastifyRequest,
    reply: FastifyReply,
    params: Params,
    decision?: string,
  ) => {
    const session = signedIn(request, reply);
    if (!session) return reply;
    const check = await checkAuthorizationRequest(deps, params as AuthorizationParams);
    if (check.kind === 'show_error') {
      return sendPage(reply, 400, authorizationErrorPage(check.error.error, check.error.description));
    }
    if (check.kind === 'redirect_error') {
      const { error, redirectUri, state } = check;
      return reply.redirect(
        redirectWith(redirectUri, { error: error.error, error_description: error.description, state }),
        302,
      );
    }
    const { request: valid } = check;
    if (decision === 'deny') {
      const denied = {
        error: 'access_denied',
        error_description: 'The resource owner denied the request.',
        state: valid.state,
      };
      return reply.redirect(redirectWith(valid.redirectUri, denied), 302);
    }
    if (decision === 'approve' || valid.application.trusted === 1) {
      const authTime = await sessionAuthTime(deps, session.principal.credential.id);
      const code = await approveAuthorization(
        deps,
        actorOf(request),
        session.principal.user,
        valid,
        authTime,
      );
      return reply.redirect(redirectWith(valid.redirectUri, { code, state: valid.state }), 302);
    }
    return sendPage(
      reply,
      200,
      consentPage({
        applicationName: valid.application.name,
        username: session.principal.user.username,
        scopes: valid.scopes,
        redirectUri: valid.redirectUri,
        csrfToken: session.csrfToken,
        request: {
          client_id: valid.application.uid,
          redirect_uri: valid.redirectUriAsked ? valid.redirectUri : undefined,
          response_type: 'code',
          scope: scopeString(valid.scopes),
          state: valid.state,
          code_challenge: valid.codeChallenge,
          code_challenge_method: valid.codeChallenge === undefined ? undefined : 'S256',
          nonce: valid.nonce,
        },
      }),
    );
  };

  app.get(
    '/oauth/authorize',
    {
      config: exempt('the OAuth consent page: a signed-in browser session answers it, never a token'),
      schema: parameters(AUTHORIZATION_REQUEST, { in: 'query' }),
    },
    (request, reply) => authorize(request, reply, declaredView(request, (request.query ?? {}) as Params)),
  );
  app.post(
    '/oauth/authorize',
    {
      config: exempt('the OAuth consent page: a signed-in browser session answers it, never a token'),
      schema: parameters({ ...AUTHORIZATION_REQUEST, ...DECISION }, { in: 'body' }),
    },
    (request, reply) => {
      const body = declaredView(request, (request.body ?? {}) as Params);
      // A decision must be explicit: a form post without one is neither approval nor denial.
      const decision = body.decision === 'approve' || body.decision === 'deny' ? body.decision : 'deny';
      return authorize(request, reply, body, decision);
    },
  );

  app.get(
    '/oauth/device',
    {
      config: exempt('the OAuth consent page: a signed-in browser session answers it, never a token'),
      schema: parameters(
        { user_code: { type: 'string', description: 'The code the device shows' } },
        { in: 'query' },
      ),
    },
    async (request, reply) => {
      const session = signedIn(request, reply);
      if (!session) return reply;
      const typed = declaredView(request, (request.query ?? {}) as Params).user_code;
      if (typeof typed !== 'string' || typed === '') return sendPage(reply, 200, deviceEntryPage({}));
      const pending = await findPendingDeviceAuthorization(deps, session.principal.user, typed);
      if (!pending) {
        return sendPage(
          reply,
          400,
          deviceEntryPage({ prefill: typed, problem: 'That code is not valid, or it expired.' }),
        );
      }
      return sendPage(
        reply,
        200,
        deviceConsentPage({
          applicationName: pending.application.name,
          username: session.principal.user.username,
          scopes: pending.scopes,
          userCode: typed,
          csrfToken: session.csrfToken,
        }),
      );
    },
  );

  app.post(
    '/oauth/device',
    {
      config: exempt('the OAuth consent page: a signed-in browser session answers it, never a token'),
      schema: parameters(
        {
          user_code: { type: 'string', required: true, description: 'The code the device shows' },
          ...DECISION,
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const session = signedIn(request, reply);
      if (!session) return reply;
      const body = declaredView(request, (request.body ?? {}) as Params);
      const typed = typeof body.user_code === 'string' ? body.user_code : '';
      const decision = body.decision === 'approve' ? 'approve' : 'deny';
      const authTime = await sessionAuthTime(deps, session.principal.credential.id);
      const decided = await decideDeviceAuthorization(
        deps,
        actorOf(request),
        session.principal.user,
        typed,
        decision,
        authTime,
      );
      if (!decided) {
        return sendPage(
          reply,
          400,
          deviceEntryPage({ prefill: typed, problem: 'That code is not valid, or it expired.' }),
        );
      }
      return sendPage(reply, 200, deviceDonePage(decision === 'approve', decided.application.name));
    },
  );
}

/**
 * The pages' policy: nothing inline, styles from the instance only. No `form-action`: approving posts
 * back here, and the answer redirects to the client's registered URI, which browsers count against
 * `form-action` too.
 */
export const OAUTH_PAGE_POLICY =
  "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'";

/** HTML with the headers a consent page needs: never framed (clickjacking), never cached, never sniffed. */
export function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('content-security-policy', OAUTH_PAGE_POLICY)
    .send(html);
}

/** Errors on these pages are pages too (a CSRF refusal, too many wrong codes), with their status. */
function installPageErrors(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | TesseraError, request, reply) => {
    if (error instanceof TesseraError) {
      if (error.details.retryAfterSeconds !== undefined)
        void reply.header('retry-after', String(error.details.retryAfterSeconds));
      return sendPage(reply, error.status, plainErrorPage(error.message));
    }
    const status = (error as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500)
      return sendPage(reply, status, plainErrorPage('Bad request.'));
    request.log.error({ err: error }, 'OAuth page failed');
    return sendPage(reply, 500, plainErrorPage('The server failed to answer.'));
  });
}
