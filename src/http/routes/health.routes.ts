import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../observability/metrics.ts';
import { isReachable, type Db } from '../../store/database.ts';

/** Liveness, readiness (the store answers) and Prometheus metrics. */
export async function healthRoutes(
  app: FastifyInstance,
  options: { db: Db; metrics: Metrics },
): Promise<void> {
  app.get('/-/health', async () => ({ status: 'ok' }));

  app.get('/-/readiness', async (_request, reply) => {
    const storeOk = await isReachable(options.db);
    return reply.status(storeOk ? 200 : 503).send({
      status: storeOk ? 'ok' : 'failed',
      checks: { store: storeOk ? 'ok' : 'failed' },
    });
  });

  app.get('/metrics', async (_request, reply) => {
    const body = await options.metrics.registry.metrics();
    return reply.type(options.metrics.registry.contentType).send(body);
  });
}
