import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../audit/audit-log.ts';
import { insufficientScope, unauthorized } from '../errors/tessera-error.ts';
import { actorFor, type ActingUser } from '../identity/acting-user.ts';
import { hasAnyScope, type Principal } from '../identity/principal.ts';
import { authenticatorFor, type TokenAuthenticator } from '../tokens/token-authenticator.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { AuthenticationThrottle } from '../security/authentication-throttle.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who the request acts as; null when it carried no credential. */
    principal: Principal | null;
  }
}

/** Longer than any token we issue: refused before any digest or lookup is spent on it. */
const MAX_TOKEN_LENGTH = 1024;

/** Resolves a browser session from its cookie; provided by the identity module. */
export interface SessionResolver {
  readonly cookieName: string;
  resolve(cookieValue: string, request: FastifyRequest): Promise<Principal | null>;
}

export interface AuthenticationOptions {
  tokenAuthenticators: readonly TokenAuthenticator[];
  tokenPrefix: string;
  sessions?: SessionResolver;
  metrics: Metrics;
  /** Brute-force protection: a locked-out address gets 429 before its token is digested or looked up. */
  throttle?: AuthenticationThrottle;
}

/**
 * Finds the credential a request carries, the ways the platform accepts it: `PRIVATE-TOKEN` header,
 * `Authorization: Bearer`, `private_token` or `access_token` query parameter; a CI job token as the
 * `JOB-TOKEN` header or `job_token` query parameter (a `job_token` form field is read by the job-token
 * boundary once the body is parsed). Blank values count as absent.
 */
export function presentedToken(request: FastifyRequest): string | undefined {
  // A blank header is no header (the platform reads them with `.presence`): a client made without a
  // token sends `PRIVATE-TOKEN:` on every call, anonymous ones included.
  const header = [request.headers['private-token'], request.headers['job-token']]
    .map((value) => (typeof value === 'string' ? value.trim() : ''))
    .find((value) => value !== '');
  if (header !== undefined) return header;
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    // Other schemes (Basic) belong to git and the registry, which read them themselves.
    if (match) return match[1];
    if (!/^Basic\s/i.test(authorization)) return '';
  }
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = [query?.private_token, query?.access_token, query?.job_token].find(
    (value) => typeof value === 'string' && value !== '',
  );
  return typeof fromQuery === 'string' ? fromQuery : undefined;
}

/**
 * Sets `request.principal` for every request. A credential that is present but wrong is a 401 right
 * away — it never falls back to the session — and one answer covers unknown, expired and revoked.
 */
export function installAuthentication(app: FastifyInstance, options: AuthenticationOptions): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const token = presentedToken(request);
    if (token !== undefined) {
      request.principal = await authenticateToken(token, request, options);
      return;
    }
    const cookie = options.sessions && request.cookies?.[options.sessions.cookieName];
    if (options.sessions && cookie) request.principal = await options.sessions.resolve(cookie, request);
  });
}

async function authenticateToken(
  token: string,
  request: FastifyRequest,
  options: AuthenticationOptions,
): Promise<Principal> {
  const authenticator = authenticatorFor(options.tokenAuthenticators, token, options.tokenPrefix);
  const attempt = { credential: authenticator?.prefix.replace(/-$/, '') ?? 'unknown', ip: request.ip };
  await options.throttle?.assertAllowed(attempt);
  const principal =
    authenticator && token.length <= MAX_TOKEN_LENGTH
      ? await authenticator.authenticate(token, { ip: request.ip })
      : null;
  if (!principal) {
    options.metrics.tokensRejected.inc({ type: authenticator?.prefix ?? 'unknown' });
    // A token this instance issued that has ended is no guess; counting it would lock out a runner.
    if (!(await authenticator?.wasIssued?.(token))) await options.throttle?.recordFailure(attempt);
    throw unauthorized();
  }
  return principal;
}

/** The authenticated principal, or a 401. */
export function requirePrincipal(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized();
  return request.principal;
}

/** The authenticated principal whose credential carries one of the scopes, or a 401/403. */
export function requireScope(request: FastifyRequest, anyOf: readonly string[]): Principal {
  const principal = requirePrincipal(request);
  if (!hasAnyScope(principal, anyOf)) throw insufficientScope(anyOf.join(' '));
  return principal;
}

/** Read endpoints of the REST API accept `api` or `read_api`. */
export const READ_API = ['api', 'read_api'] as const;
/** Write endpoints need `api`. */
export const WRITE_API = ['api'] as const;

/** The audit actor for a request (naming the person behind a composite identity). */
export function actorOf(request: FastifyRequest): Actor {
  const principal = request.principal;
  if (principal) return actorFor(actingUserOf(request, principal));
  return { userId: null, name: 'anonymous', ip: request.ip ?? null };
}

/** Who a request acts as, for a service: the principal's user and the client's address. */
export function actingUserOf(
  request: FastifyRequest,
  principal: Principal = requirePrincipal(request),
): ActingUser {
  const acting: ActingUser = { user: principal.user, ip: request.ip ?? null };
  if (principal.sudoer) acting.sudoer = principal.sudoer;
  return acting;
}
