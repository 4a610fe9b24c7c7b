import type { FastifyInstance } from 'fastify';
import type { RoleReadiness } from '../runtime/role-readiness.ts';

/**
 * Probes answer in every state: a load balancer must be able to ask whether to send traffic, and a
 * supervisor whether the process lives. The AI gateway's own health check counts as a probe too.
 */
const PROBE_PATHS = new Set(['/-/liveness', '/-/health', '/-/readiness', '/monitoring/healthz']);

/**
 * Answers every request but the probes with `503 Service Unavailable: starting` and `Retry-After: 1`
 * until the role is marked ready — discovery included, so that the first 200 a client sees means the
 * whole role serves. Install it before authentication: a token presented to a server that is not yet
 * ready must not count as a failed authentication towards the brute-force limit.
 *
 * While draining, requests pass: only readiness fails, and the requests a load balancer still sends
 * until it notices are answered; the servers close after the drain delay (see `serve.command.ts`).
 */
export function installReadinessGate(app: FastifyInstance, readiness: RoleReadiness): void {
  app.addHook('onRequest', async (request, reply) => {
    if (readiness.serving) return;
    const path = request.url.split('?', 1)[0] ?? '';
    if (PROBE_PATHS.has(path)) return;
    return reply
      .status(503)
      .header('retry-after', '1')
      .send({ message: '503 Service Unavailable: starting' });
  });
}
