import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Settings } from '../config/settings.ts';
import type { Digester } from '../crypto/secrets.ts';
import { forbidden, TesseraError } from '../errors/tessera-error.ts';
import { csrfTokenMatches, resolveSession, type SessionDeps } from '../identity/session.service.ts';
import { signInTokenMatches } from '../identity/sign-in-token.ts';
import type { InstanceContext } from '../runtime/instance-context.ts';
import type { SessionResolver } from './authenticate.ts';

/** The browser session's cookie. */
export const SESSION_COOKIE = '_tessera_session';
/** The signed-out browser's random value the sign-in form's token is bound to (login CSRF). */
export const PRE_SESSION_COOKIE = '_tessera_pre_session';
/** The sign-in route: its CSRF token belongs to the pre-session, since there is no session yet. */
const SIGN_IN_ROUTE = '/users/sign_in';

/** Where a browser may send the CSRF token: a header for scripts, a form field for plain forms. */
const CSRF_HEADER = 'x-csrf-token';
const CSRF_FORM_FIELD = 'authenticity_token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
// Client-authenticated OAuth endpoints act for the client, never for the browser session a same-site
// client might happen to send along, so the cookie's CSRF rule does not apply to them.
const CSRF_EXEMPT_ROUTES = new Set([
  '/oauth/token',
  '/oauth/revoke',
  '/oauth/introspect',
  '/oauth/authorize_device',
]);

/** The session services' dependencies for the instance, with its failure limiter (shared with token authentication). */
export function sessionDepsFor(context: InstanceContext): SessionDeps {
  const { settings, clock } = context;
  return {
    db: context.db,
    clock,
    digester: context.secrets.digester,
    policy: {
      idleTimeoutSeconds: settings.sessionIdleTimeoutSeconds,
      absoluteTimeoutSeconds: settings.sessionAbsoluteTimeoutSeconds,
    },
    limiter: context.failureLimiter,
  };
}

/** Turns the session cookie into a principal whose credential is the session (not scope-limited). */
export function sessionResolver(deps: SessionDeps): SessionResolver {
  return {
    cookieName: SESSION_COOKIE,
    async resolve(cookieValue) {
      const active = await resolveSession(deps, cookieValue);
      if (!active) return null;
      return { user: active.user, credential: { kind: 'session', id: active.session.id, scopes: null } };
    },
  };
}

/** The cookie's attributes: HttpOnly, SameSite=Lax, whole site, Secure whenever the site is https. */
export function sessionCookieOptions(settings: Settings): CookieSerializeOptions {
  return { httpOnly: true, sameSite: 'lax', path: '/', secure: settings.externalUrl.startsWith('https:') };
}

/** The pre-session cookie: as the session's, but sent only to the sign-in page and its form. */
export function preSessionCookieOptions(settings: Settings): CookieSerializeOptions {
  return { ...sessionCookieOptions(settings), path: SIGN_IN_ROUTE };
}

/**
 * Refuses a state-changing request authenticated by the session cookie unless it carries the
 * session's CSRF token. Requests authenticated by a token are not subject to it: a browser never
 * attaches a token on its own. Runs after the body is parsed, so a form may carry the token.
 * Signing in has a rule of its own ({@link checkSignInToken}).
 */
export function installCsrfProtection(app: FastifyInstance, digester: Digester): void {
  app.addHook('preHandler', async (request) => {
    if (SAFE_METHODS.has(request.method)) return;
    if (request.routeOptions.url === SIGN_IN_ROUTE) return checkSignInToken(request, digester);
    if (request.principal?.credential.kind !== 'session') return;
    if (CSRF_EXEMPT_ROUTES.has(request.routeOptions.url ?? '')) return;
    const sessionId = request.cookies[SESSION_COOKIE];
    const presented = presentedCsrfToken(request);
    if (!sessionId || !presented || !csrfTokenMatches(digester, sessionId, presented)) {
      throw forbidden('403 Forbidden - CSRF token invalid');
    }
  });
}

/**
 * Sign-in needs the token of the browser's pre-session cookie (set by the sign-in page), or GitLab's
 * 422. Only an API client's JSON sign-in that carries no cookie at all goes without: a browser on
 * another site can neither send JSON to us without a CORS preflight nor strip our cookies.
 */
function checkSignInToken(request: FastifyRequest, digester: Digester): void {
  const cookies = request.headers.cookie ?? '';
  const json = (request.headers['content-type'] ?? '').startsWith('application/json');
  if (json && cookies.trim() === '') return;
  if (!signInTokenMatches(digester, request.cookies[PRE_SESSION_COOKIE], presentedCsrfToken(request))) {
    throw new TesseraError(
      'unprocessable',
      "422 Unprocessable Entity - Can't verify CSRF token authenticity.",
    );
  }
}

function presentedCsrfToken(request: FastifyRequest): string | undefined {
  const header = request.headers[CSRF_HEADER];
  if (typeof header === 'string') return header;
  const body = request.body as Record<string, unknown> | null | undefined;
  const field = body && typeof body === 'object' ? body[CSRF_FORM_FIELD] : undefined;
  return typeof field === 'string' ? field : undefined;
}
