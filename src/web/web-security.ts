import type { FastifyInstance } from 'fastify';

/**
 * Same-origin everything and no inline script or style: a value that slipped past escaping still
 * cannot run. `form-action 'self'` keeps a form from being pointed at another site; `frame-ancestors
 * 'none'` keeps the pages out of other sites' frames (clickjacking on "Revoke").
 */
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

/**
 * The policy, with `connectOrigins` added to `connect-src` for the one page that calls another
 * service from the browser (the AI playground calls the AI gateway). Everything else stays as strict.
 *
 * @example
 * contentSecurityPolicy(['http://127.0.0.1:8082']) // "… connect-src 'self' http://127.0.0.1:8082; …"
 */
export function contentSecurityPolicy(connectOrigins: readonly string[] = []): string {
  return policy(["style-src 'self'", ["connect-src 'self'", ...connectOrigins].join(' ')]);
}

/**
 * The help pages' policy: the same, except that styles may be inline. Mermaid styles the diagrams it
 * draws with a `<style>` element and `style` attributes inside each SVG and has no nonce for them;
 * scripts stay same-origin files only, and the pages show nothing but the repository's own docs.
 */
export const HELP_CONTENT_SECURITY_POLICY = policy([
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
]);

function policy([styles, connect]: [string, string]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    styles,
    "img-src 'self'",
    connect,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Headers of every web UI response. Pages are never cached: they are per person, and one of them
 * carries a new token's secret.
 */
export function installWebSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    // A page that set its own policy (built by contentSecurityPolicy) keeps it.
    if (!reply.hasHeader('content-security-policy')) {
      void reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    }
    void reply
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'same-origin');
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    return payload;
  });
}
