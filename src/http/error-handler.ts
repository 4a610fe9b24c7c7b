import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TesseraError } from '../errors/tessera-error.ts';
import { isStoreUnavailable } from '../store/store-unavailable.ts';

/** The JSON body a client gets for an error; GitLab's shapes. */
export function errorBody(error: TesseraError): Record<string, unknown> {
  if (error.code === 'insufficient_scope') {
    return { error: 'insufficient_scope', error_description: error.message, scope: error.details.scope };
  }
  if (error.code === 'insufficient_granular_scope') {
    return {
      error: 'insufficient_granular_scope',
      error_description: error.message,
      permission: error.details.permission,
    };
  }
  if (error.code === 'bad_request' && error.details.field) {
    return {
      message: { [error.details.field]: [error.message.slice(error.details.field.length + 1).trimStart()] },
      error: error.message,
    };
  }
  return { message: error.message };
}

/**
 * Maps every error to a status and a safe body in one place: our own errors as they say, Fastify's
 * validation and parse errors to 400, anything else to a bare 500 whose stack only reaches the log.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | TesseraError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof TesseraError) {
      if (error.details.retryAfterSeconds !== undefined) {
        void reply.header('retry-after', String(error.details.retryAfterSeconds));
      }
      if (error.code === 'insufficient_scope') {
        void reply.header(
          'www-authenticate',
          `Bearer realm="tessera", error="insufficient_scope", error_description="${error.message}", scope="${error.details.scope ?? ''}"`,
        );
      }
      return reply.status(error.status).send(errorBody(error));
    }
    const status = (error as FastifyError).statusCode;
    if ((error as FastifyError).validation) {
      return reply.status(400).send({ message: '400 Bad request', error: error.message });
    }
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.status(status).send({ message: `${status} ${error.message}` });
    }
    if (isStoreUnavailable(error)) {
      // Not a bug: the store is down or restarting. Say so, and when to come back.
      request.log.warn({ err: { message: error.message } }, 'store unavailable');
      return reply.status(503).header('retry-after', '5').send({ message: '503 Service Unavailable' });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({ message: '500 Internal Server Error' });
  });

  app.setNotFoundHandler((_request, reply) => reply.status(404).send({ message: '404 Not Found' }));
}
