import type { FastifyInstance } from 'fastify';

/**
 * Same-origin everything and no inline script or style: a value that slipped past escaping still
 * cannot run. `form-action 'self'` keeps a form from being pointed at another site; `frame-ancestors
 * 'none'` keeps the pages out of other sites' frames (clickjacking on "Revoke").
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Headers of every web UI response. Pages are never cached: they are per person, and one of them
 * carries a new token's secret.
 */
export function installWebSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'same-origin');
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    return payload;
  });
}
