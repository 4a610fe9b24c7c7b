import type { FastifyInstance } from 'fastify';
import type { Settings } from '../config/settings.ts';
import { buildInstanceApp } from '../http/instance-app.ts';
import type { Logger } from '../observability/logger.ts';
import type { Clock } from '../util/clock.ts';
import { duoWorkflowIdentity } from '../workflows/duo-identity.ts';
import { createInstanceContext } from './create-instance-context.ts';
import { startHousekeeping } from './housekeeping.ts';
import type { InstanceContext } from './instance-context.ts';
import { subscribeToEvictions } from './redis-eviction-feed.ts';
import { RoleReadiness } from './role-readiness.ts';

export interface RunningInstance {
  context: InstanceContext;
  app: FastifyInstance;
  /** Where the server actually listens (the port is real even when 0 was asked for). */
  url: string;
  readiness: RoleReadiness;
  close(): Promise<void>;
}

/** How often the key scheduler looks at the active key's age. */
const KEY_SCHEDULER_INTERVAL_MS = 60_000;

/**
 * Starts the instance role: store, keys, HTTP server and the key-rotation scheduler. With a
 * `readiness` of the caller's, the server listens but answers 503 until the caller marks it ready
 * (`serve all` first seeds and starts the other roles); without one it is ready once it listens.
 */
export async function startInstance(
  settings: Settings,
  options: { logger: Logger; clock?: Clock; readiness?: RoleReadiness },
): Promise<RunningInstance> {
  const context = await createInstanceContext(settings, options);
  const readiness = options.readiness ?? new RoleReadiness();
  const app = await buildInstanceApp(context, readiness);
  try {
    // Remote AI workflows run as this service account; made once, audited, on the first start.
    await duoWorkflowIdentity(context);
    if (context.evictionFeed) await subscribeToEvictions(context.evictionFeed, context.db, context.logger);
    await app.listen({ host: settings.host, port: settings.port });
  } catch (error) {
    await context.evictionFeed?.close();
    await context.db.destroy();
    throw error;
  }
  context.keys.startScheduler(['instance', 'registry'], KEY_SCHEDULER_INTERVAL_MS);
  const stopHousekeeping = startHousekeeping(context);
  if (!options.readiness) readiness.markReady();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return {
    context,
    app,
    url: `http://${host}:${port}`,
    readiness,
    async close() {
      context.keys.stopScheduler();
      stopHousekeeping();
      await app.close();
      await context.evictionFeed?.close();
      await context.db.destroy();
    },
  };
}
