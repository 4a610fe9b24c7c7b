import type { Actor } from '../audit/audit-log.ts';
import { cloudConnectorFor } from '../cloud/instance/cloud-connector.ts';
import { keyCheckIntervalMs } from '../keys/key-scheduler.ts';
import {
  housekeeperElection,
  type HousekeeperDuties,
  type HousekeeperElection,
} from './housekeeper-election.ts';
import { startHousekeeping } from './housekeeping.ts';
import type { InstanceContext } from './instance-context.ts';

/**
 * The instance's scheduled work, run by the housekeeper only: signing-key rotation (instance and
 * registry keys), the Cloud Connector sync, and the sweeps (expiry, workflow timeouts, revocation
 * retries).
 */
export function instanceSchedulers(context: InstanceContext): HousekeeperDuties {
  let stopSweeps: (() => void) | undefined;
  return {
    start(actor: Actor) {
      const everyMs = keyCheckIntervalMs(context.settings.keyRotationIntervalSeconds);
      context.keys.startScheduler(['instance', 'registry'], everyMs, actor);
      stopSweeps = startHousekeeping(context, actor);
      void cloudConnectorFor(context).runScheduledSync(actor);
    },
    async stop() {
      context.keys.stopScheduler();
      stopSweeps?.();
      stopSweeps = undefined;
      await cloudConnectorFor(context).runScheduledSync(undefined);
    },
  };
}

/** The instance's election on its store; started by `startInstance` once the server listens. */
export function instanceHousekeeper(context: InstanceContext): HousekeeperElection {
  return housekeeperElection({
    settings: context.settings,
    db: context.db,
    name: 'instance',
    logger: context.logger,
    duties: instanceSchedulers(context),
    metrics: context.metrics,
  });
}
