import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TesseraError } from '../../errors/tessera-error.ts';
import { csrfTokenFor, signOut } from '../../identity/session.service.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { planEndSession, type EndSessionRequest } from '../../tokens/oauth/end-session.ts';
import { oauthDeps } from '../../tokens/oauth/oauth-deps.ts';
import { apiParams, optionalString } from '../api-params.ts';
import { actorOf } from '../authenticate.ts';
import { SESSION_COOKIE, sessionCookieOptions, sessionDepsFor } from '../session-authentication.ts';
import { sendPage } from './oauth-authorize.routes.ts';
import { endSessionConfirmPage, plainErrorPage, signedOutPage } from './oauth-pages.ts';
import { parameters } from '../route-parameters.ts';
import { exempt } from '../route-permission.ts';

export const END_SESSION_PATH = '/oauth/logout';

/**
 * The end-session endpoint (OpenID Connect RP-Initiated Logout 1.0). A GET whose `id_token_hint`
 * names the signed-in person ends the session at once; otherwise the person confirms with a form
 * (POST, CSRF-checked like every session form). Then back to the registered URI with `state`.
 */
export async function oauthLogoutRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const deps = oauthDeps(options.context);
  const sessions = sessionDepsFor(options.context);
  const cookie = sessionCookieOptions(options.context.settings);
  const longestSession = options.context.settings.sessionAbsoluteTimeoutSeconds;

  const endSession = async (request: FastifyRequest, reply: FastifyReply, confirmed: boolean) => {
    const params = apiParams(request);
    const asked: EndSessionRequest = {};
    for (const [field, name] of [
      ['idTokenHint', 'id_token_hint'],
      ['postLogoutRedirectUri', 'post_logout_redirect_uri'],
      ['state', 'state'],
      ['clientId', 'client_id'],
    ] as const) {
      const value = optionalString(params, name);
      if (value) asked[field] = value;
    }
    let plan;
    try {
      plan = await planEndSession(deps, asked, longestSession);
    } catch (error) {
      if (error instanceof TesseraError && error.code === 'bad_request') {
        return sendPage(reply, 400, plainErrorPage(error.message));
      }
      throw error;
    }
    const principal = request.principal;
    const sessionId = request.cookies[SESSION_COOKIE];
    if (principal?.credential.kind === 'session' && sessionId) {
      if (!confirmed && plan.hintedUserId !== principal.user.id) {
        return sendPage(
          reply,
          200,
          endSessionConfirmPage({
            username: principal.user.username,
            applicationName: plan.application?.name ?? null,
            csrfToken: csrfTokenFor(deps.digester, sessionId),
            request: {
              id_token_hint: asked.idTokenHint,
              post_logout_redirect_uri: asked.postLogoutRedirectUri,
              state: asked.state,
              client_id: asked.clientId,
            },
          }),
        );
      }
      await signOut(sessions, String(principal.credential.id), actorOf(request));
      void reply.clearCookie(SESSION_COOKIE, cookie);
    }
    if (plan.redirectTo) return reply.header('cache-control', 'no-store').redirect(plan.redirectTo, 302);
    return sendPage(reply, 200, signedOutPage());
  };

  app.get(
    END_SESSION_PATH,
    {
      config: exempt('OpenID Connect logout: ends the browser session the ID token names'),
      schema: parameters(
        {
          id_token_hint: { type: 'string', description: 'An ID token the person was given' },
          post_logout_redirect_uri: {
            type: 'string',
            format: 'uri',
            description: 'Where to go afterwards (a registered URI)',
          },
          state: { type: 'string', description: 'Handed back on the redirect' },
          client_id: { type: 'string', description: 'The application asking' },
        },
        { in: 'query' },
      ),
    },
    async (request, reply) => endSession(request, reply, false),
  );
  app.post(
    END_SESSION_PATH,
    {
      config: exempt('OpenID Connect logout: ends the browser session the ID token names'),
      schema: parameters(
        {
          id_token_hint: { type: 'string', description: 'An ID token the person was given' },
          post_logout_redirect_uri: {
            type: 'string',
            format: 'uri',
            description: 'Where to go afterwards (a registered URI)',
          },
          state: { type: 'string', description: 'Handed back on the redirect' },
          client_id: { type: 'string', description: 'The application asking' },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => endSession(request, reply, true),
  );
}
