import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { RoleReadiness } from '../runtime/role-readiness.ts';
import { installErrorHandling } from './error-handler.ts';
import { installRequestConventions, parseUrlEncoded } from './request-conventions.ts';
import { installReadinessGate } from './readiness-gate.ts';
import { installApiResponseHeaders } from './response-headers.ts';
import { installParameterDeclarations } from './route-parameters.ts';
import { recordRouteTable } from './route-table.ts';
import { isOffSiteRelativeLocation } from './safe-redirect.ts';

/** Largest request header block accepted; bigger ones get 431 from Node before any work. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Largest request body accepted, in any encoding. */
const BODY_LIMIT = 1024 * 1024;

/**
 * A Fastify server with what every role shares: the readiness gate (503 until `readiness` says the
 * role serves, ahead of every other hook), logging through our redacting logger, error mapping,
 * GitLab's parameter conventions (query, form, multipart), cookie parsing, security headers on every
 * response, a check on redirects, the route table, and request metrics labelled by route pattern
 * (never by raw URL).
 */
export function createHttpApp(options: {
  logger: Logger;
  metrics: Metrics;
  readiness: RoleReadiness;
  /** Addresses/CIDRs of trusted load balancers (`TESSERA_TRUSTED_PROXIES`); none by default. */
  trustedProxies?: readonly string[];
}): FastifyInstance {
  const trusted = options.trustedProxies ?? [];
  const app = Fastify({
    loggerInstance: options.logger,
    // Never `true`: a client could then pick its own address by sending X-Forwarded-For.
    trustProxy: trusted.length > 0 ? [...trusted] : false,
    bodyLimit: BODY_LIMIT,
    http: { maxHeaderSize: MAX_HEADER_BYTES },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000, querystringParser: parseUrlEncoded },
  }) as unknown as FastifyInstance;

  installReadinessGate(app, options.readiness);
  recordRouteTable(app);
  installParameterDeclarations(app);
  installRequestConventions(app, BODY_LIMIT);
  void app.register(cookie);
  installErrorHandling(app);
  acceptJsonLikeGitLab(app);
  refuseOffSiteRelativeRedirects(app);
  installApiResponseHeaders(app);

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    options.metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    options.metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  return app;
}

/**
 * The last line behind `safeRedirectPath`: a relative `Location` (ours, or one a route built from
 * request input) that a browser would follow to another host is replaced by the start page. Absolute
 * URLs pass: the OAuth provider sends browsers to registered client URIs on purpose.
 */
function refuseOffSiteRelativeRedirects(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const location = reply.getHeader('location');
    if (typeof location === 'string' && isOffSiteRelativeLocation(location)) {
      request.log.warn({ route: request.routeOptions.url }, 'refused an off-site relative redirect');
      void reply.header('location', '/');
    }
    return payload;
  });
}

/**
 * Two habits of GitLab clients: python-gitlab parses a body only when the content type is exactly
 * `application/json` (no charset), and sends `DELETE` with that content type and no body at all.
 */
function acceptJsonLikeGitLab(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    body === '' ? done(null, undefined) : parseJson(request, body as string, done),
  );
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.getHeader('content-type') === 'application/json; charset=utf-8') {
      void reply.header('content-type', 'application/json');
    }
    return payload;
  });
}
