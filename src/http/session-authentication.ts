import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Settings } from '../config/settings.ts';
import type { Digester } from '../crypto/secrets.ts';
import { forbidden } from '../errors/tessera-error.ts';
import { csrfTokenMatches, resolveSession, type SessionDeps } from '../identity/session.service.ts';
import type { InstanceContext } from '../runtime/instance-context.ts';
import type { SessionResolver } from './authenticate.ts';

/** The browser session's cookie. */
export const SESSION_COOKIE = '_tessera_session';

/** Where a browser may send the CSRF token: a header for scripts, a form field for plain forms. */
const CSRF_HEADER = 'x-csrf-token';
const CSRF_FORM_FIELD = 'authenticity_token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Signing in opens a new session whatever cookie came along, so it needs no token of the old one. */
// Client-authenticated OAuth endpoints act for the client, never for the browser session a same-site
// client might happen to send along, so the cookie's CSRF rule does not apply to them.
const CSRF_EXEMPT_ROUTES = new Set([
  '/users/sign_in',
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

/**
 * Refuses a state-changing request authenticated by the session cookie unless it carries the
 * session's CSRF token. Requests authenticated by a token are not subject to it: a browser never
 * attaches a token on its own. Runs after the body is parsed, so a form may carry the token.
 */
export function installCsrfProtection(app: FastifyInstance, digester: Digester): void {
  app.addHook('preHandler', async (request) => {
    if (SAFE_METHODS.has(request.method) || request.principal?.credential.kind !== 'session') return;
    if (CSRF_EXEMPT_ROUTES.has(request.routeOptions.url ?? '')) return;
    const sessionId = request.cookies[SESSION_COOKIE];
    const presented = presentedCsrfToken(request);
    if (!sessionId || !presented || !csrfTokenMatches(digester, sessionId, presented)) {
      throw forbidden('403 Forbidden - CSRF token invalid');
    }
  });
}

function presentedCsrfToken(request: FastifyRequest): string | undefined {
  const header = request.headers[CSRF_HEADER];
  if (typeof header === 'string') return header;
  const body = request.body as Record<string, unknown> | null | undefined;
  const field = body && typeof body === 'object' ? body[CSRF_FORM_FIELD] : undefined;
  return typeof field === 'string' ? field : undefined;
}
