import type { FastifyInstance } from 'fastify';
import type { Settings } from '../config/settings.ts';
import { buildInstanceApp } from '../http/instance-app.ts';
import type { Logger } from '../observability/logger.ts';
import type { Clock } from '../util/clock.ts';
import { duoWorkflowIdentity } from '../workflows/duo-identity.ts';
import { createInstanceContext } from './create-instance-context.ts';
import { startHousekeeping } from './housekeeping.ts';
import type { InstanceContext } from './instance-context.ts';

export interface RunningInstance {
  context: InstanceContext;
  app: FastifyInstance;
  /** Where the server actually listens (the port is real even when 0 was asked for). */
  url: string;
  close(): Promise<void>;
}

/** How often the key scheduler looks at the active key's age. */
const KEY_SCHEDULER_INTERVAL_MS = 60_000;

/** Starts the instance role: store, keys, HTTP server and the key-rotation scheduler. */
export async function startInstance(
  settings: Settings,
  options: { logger: Logger; clock?: Clock },
): Promise<RunningInstance> {
  const context = await createInstanceContext(settings, options);
  const app = await buildInstanceApp(context);
  try {
    // Remote AI workflows run as this service account; made once, audited, on the first start.
    await duoWorkflowIdentity(context);
    await app.listen({ host: settings.host, port: settings.port });
  } catch (error) {
    await context.db.destroy();
    throw error;
  }
  context.keys.startScheduler(['instance', 'registry'], KEY_SCHEDULER_INTERVAL_MS);
  const stopHousekeeping = startHousekeeping(context);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return {
    context,
    app,
    url: `http://${host}:${port}`,
    async close() {
      context.keys.stopScheduler();
      stopHousekeeping();
      await app.close();
      await context.db.destroy();
    },
  };
}
