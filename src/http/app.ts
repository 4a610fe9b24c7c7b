import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { installErrorHandling } from './error-handler.ts';

/** Largest request header block accepted; bigger ones get 431 from Node before any work. */
export const MAX_HEADER_BYTES = 16 * 1024;

/**
 * A Fastify server with what every role shares: logging through our redacting logger, error mapping,
 * form and cookie parsing, and request metrics labelled by route pattern (never by raw URL).
 */
export function createHttpApp(options: { logger: Logger; metrics: Metrics; trustProxy?: boolean }): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger,
    disableRequestLogging: false,
    trustProxy: options.trustProxy ?? false,
    bodyLimit: 1024 * 1024,
    maxParamLength: 1000,
    http: { maxHeaderSize: MAX_HEADER_BYTES },
    routerOptions: { ignoreTrailingSlash: true },
  }) as unknown as FastifyInstance;

  void app.register(formbody);
  void app.register(cookie);
  installErrorHandling(app);

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    options.metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    options.metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  return app;
}
