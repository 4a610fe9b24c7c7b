import type { FastifyInstance } from 'fastify';

/**
 * GitLab's API headers on every response of a role, 404s and errors included:
 *
 * - `X-Content-Type-Options: nosniff`, so no answer (a raw job trace, a JSON body with a user's
 *   text in it) is ever sniffed into HTML or script by a browser;
 * - `Cache-Control: no-store` unless the route chose its own policy. Answers carry secrets (a new
 *   token, an introspection, a license's activation code) and are per caller; only public documents
 *   (JWKS, discovery, static assets) are cacheable, and those set their `Cache-Control` themselves.
 *
 * One hook, in the shared app, so a new route of any role cannot forget them.
 */
export function installApiResponseHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff');
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    return payload;
  });
}
