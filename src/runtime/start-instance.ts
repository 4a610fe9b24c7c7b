import type { FastifyInstance } from 'fastify';
import type { Settings } from '../config/settings.ts';
import { buildInstanceApp } from '../http/instance-app.ts';
import type { Logger } from '../observability/logger.ts';
import type { Clock } from '../util/clock.ts';
import { duoWorkflowIdentity } from '../workflows/duo-identity.ts';
import { createInstanceContext } from './create-instance-context.ts';
import type { HousekeeperElection } from './housekeeper-election.ts';
import type { InstanceContext } from './instance-context.ts';
import { instanceHousekeeper } from './instance-schedulers.ts';
import { subscribeToEvictions } from './redis-eviction-feed.ts';
import { RoleReadiness } from './role-readiness.ts';

export interface RunningInstance {
  context: InstanceContext;
  app: FastifyInstance;
  /** Where the server actually listens (the port is real even when 0 was asked for). */
  url: string;
  readiness: RoleReadiness;
  /** Whether this replica runs the schedulers (key rotation, cloud sync, sweeps) right now. */
  housekeeper: HousekeeperElection;
  close(): Promise<void>;
}

/**
 * Starts the instance role: store, keys, HTTP server, and the housekeeper election, which runs the
 * schedulers on one replica at a time. With a `readiness` of the caller's, the server listens but
 * answers 503 until the caller marks it ready (`serve all` first seeds and starts the other roles);
 * without one it is ready once it listens.
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
  const housekeeper = instanceHousekeeper(context);
  await housekeeper.start();
  if (!options.readiness) readiness.markReady();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return {
    context,
    app,
    url: `http://${host}:${port}`,
    readiness,
    housekeeper,
    async close() {
      await housekeeper.stop();
      await app.close();
      await context.evictionFeed?.close();
      await context.db.destroy();
    },
  };
}
