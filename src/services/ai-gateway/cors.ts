import type { FastifyInstance } from 'fastify';

/** Headers a browser client of the gateway may send: the token, JSON, and GitLab's X-Gitlab-* family. */
function isAllowedRequestHeader(name: string): boolean {
  return name === 'authorization' || name === 'content-type' || name.startsWith('x-gitlab-');
}

/**
 * CORS for browser clients (the Web IDE) on the configured origins only. Written here rather than
 * taken from @fastify/cors: the gateway needs one exact-match origin list and a preflight, nothing more.
 * Preflights are public routes (browsers never send credentials on them); every other response,
 * refusals included, carries `Access-Control-Allow-Origin` so the browser lets the client read it.
 */
export function installCors(app: FastifyInstance, allowedOrigins: readonly string[]): void {
  const allowed = new Set(allowedOrigins);
  const allowedOrigin = (origin: string | undefined) =>
    origin !== undefined && allowed.has(origin) ? origin : undefined;

  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('vary', 'Origin');
    const origin = allowedOrigin(request.headers.origin);
    if (origin) reply.header('access-control-allow-origin', origin);
    return payload;
  });

  app.options('/*', { config: { public: true } }, async (request, reply) => {
    const requestedMethod = request.headers['access-control-request-method'];
    if (allowedOrigin(request.headers.origin) && typeof requestedMethod === 'string') {
      const requestedHeaders = String(request.headers['access-control-request-headers'] ?? '')
        .split(',')
        .map((name) => name.trim().toLowerCase())
        .filter((name) => name !== '' && isAllowedRequestHeader(name));
      reply
        .header('access-control-allow-methods', 'GET, POST, OPTIONS')
        .header('access-control-allow-headers', requestedHeaders.join(', ') || 'authorization, content-type')
        .header('access-control-max-age', '600');
    }
    return reply.code(204).send();
  });
}
