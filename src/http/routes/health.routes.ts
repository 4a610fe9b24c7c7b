import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../observability/metrics.ts';
import type { RoleReadiness } from '../../runtime/role-readiness.ts';
import { isReachable, type Db } from '../../store/database.ts';
import { exempt } from '../route-permission.ts';

/**
 * Liveness (`/-/liveness`, and `/-/health` as before), readiness and Prometheus metrics. Readiness is
 * 503 while the role starts, while it drains after SIGTERM, and while its store (when it has one)
 * does not answer; the body names which.
 */
export async function healthRoutes(
  app: FastifyInstance,
  options: { readiness: RoleReadiness; db?: Db; metrics?: Metrics },
): Promise<void> {
  // `public`: probes carry no token, and the AI gateway's Cloud Connector auth skips public routes.
  const probe = { config: { public: true, ...exempt('a probe, answered to anyone') } };
  app.get('/-/liveness', probe, async () => ({ status: 'ok' }));
  app.get('/-/health', probe, async () => ({ status: 'ok' }));

  app.get('/-/readiness', probe, async (_request, reply) => {
    const { readiness, db } = options;
    if (!readiness.ready) return reply.status(503).send({ status: readiness.state });
    if (db === undefined) return { status: 'ok' };
    const storeOk = await isReachable(db);
    return reply.status(storeOk ? 200 : 503).send({
      status: storeOk ? 'ok' : 'failed',
      checks: { store: storeOk ? 'ok' : 'failed' },
    });
  });

  const metrics = options.metrics;
  if (metrics) {
    app.get(
      '/metrics',
      { config: exempt('Prometheus metrics, for the scraper on the operator’s network') },
      async (_request, reply) => {
        const body = await metrics.registry.metrics();
        return reply.type(metrics.registry.contentType).send(body);
      },
    );
  }
}
