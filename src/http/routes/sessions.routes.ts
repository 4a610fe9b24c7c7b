import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, unauthorized } from '../../errors/tessera-error.ts';
import { csrfTokenFor, signIn, signOut, type SessionDeps } from '../../identity/session.service.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { actorOf } from '../authenticate.ts';
import { presentUserPrivate } from '../presenters/user.presenter.ts';
import {
  PRE_SESSION_COOKIE,
  preSessionCookieOptions,
  SESSION_COOKIE,
  sessionCookieOptions,
} from '../session-authentication.ts';
import { isSignInRefusal, safeReturnPath, signInRefusalLocation } from '../../web/sign-in-refusal.ts';
import { exempt } from '../route-permission.ts';

/**
 * Browser sign-in and sign-out at GitLab's paths, and `GET /-/session` for the web UI. The form
 * fields are GitLab's (`user[login]`, `user[password]`); JSON clients may send `login`/`username`
 * and `password` instead.
 */
export async function sessionsRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext; sessions: SessionDeps },
): Promise<void> {
  const { context, sessions } = options;
  const cookie = sessionCookieOptions(context.settings);

  app.post(
    '/users/sign_in',
    {
      config: exempt('signing in or out of a browser session: the password form is the credential exchange'),
    },
    async (request, reply) => {
      // Where the browser was going when it was sent to sign in (the OAuth consent page, a settings page).
      const returnTo = safeReturnPath(
        (request.body as Record<string, unknown> | undefined)?.redirect_to,
        context.settings.externalUrl,
      );
      try {
        const { login, password } = credentials(request.body);
        const signedIn = await signIn(sessions, { login, password, ip: request.ip });
        void reply.setCookie(SESSION_COOKIE, signedIn.sessionId, cookie);
        // Its job is done: the next sign-in form gets a fresh one.
        if (request.cookies[PRE_SESSION_COOKIE] !== undefined)
          void reply.clearCookie(PRE_SESSION_COOKIE, preSessionCookieOptions(context.settings));
        if (isBrowserForm(request)) return reply.redirect(returnTo ?? '/', 302);
        return { id: signedIn.user.id, username: signedIn.user.username, csrf_token: signedIn.csrfToken };
      } catch (error) {
        // A browser's form goes back to the sign-in page, which says why; scripts keep the JSON answer.
        if (isBrowserForm(request) && isSignInRefusal(error))
          return reply.redirect(signInRefusalLocation(error, returnTo), 303);
        throw error;
      }
    },
  );

  const signOutHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    const credential = request.principal?.credential;
    if (credential?.kind === 'session') await signOut(sessions, String(credential.id), actorOf(request));
    void reply.clearCookie(SESSION_COOKIE, cookie);
    if (wantsHtml(request)) return reply.redirect('/users/sign_in', 302);
    return reply.status(204).send();
  };
  app.post(
    '/users/sign_out',
    {
      config: exempt('signing in or out of a browser session: the password form is the credential exchange'),
    },
    signOutHandler,
  );
  app.delete(
    '/users/sign_out',
    {
      config: exempt('signing in or out of a browser session: the password form is the credential exchange'),
    },
    signOutHandler,
  );

  app.get(
    '/-/session',
    { config: exempt('the browser session describes itself; no token is answered') },
    async (request) => {
      const sessionId = request.cookies[SESSION_COOKIE];
      if (request.principal?.credential.kind !== 'session' || !sessionId) throw unauthorized();
      return {
        user: presentUserPrivate(request.principal.user, context.settings.externalUrl),
        csrf_token: csrfTokenFor(sessions.digester, sessionId),
      };
    },
  );
}

function credentials(body: unknown): { login: string; password: string } {
  const fields = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const nested =
    fields.user !== null && typeof fields.user === 'object' ? (fields.user as Record<string, unknown>) : {};
  const login = first(fields['user[login]'], nested.login, fields.login, fields.username);
  const password = first(fields['user[password]'], nested.password, fields.password);
  if (login === undefined) throw badRequest('login', 'is missing');
  if (password === undefined) throw badRequest('password', 'is missing');
  return { login, password };
}

function first(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === 'string' && value.length > 0);
}

function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}

/** A browser's plain form post, answered with a redirect rather than JSON. */
function isBrowserForm(request: FastifyRequest): boolean {
  const type = request.headers['content-type'] ?? '';
  return (
    wantsHtml(request) &&
    (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data'))
  );
}
