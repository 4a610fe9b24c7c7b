import { deleteExpiredOAuthDeviceCodes } from '../store/oauth-device-codes.repository.ts';
import { deleteExpiredOAuthAuthorizationCodes } from '../store/oauth-grants.repository.ts';
import { deleteExpiredSessions } from '../store/sessions.repository.ts';
import { addSeconds } from '../util/clock.ts';
import {
  cancelLingeringWorkflowJobs,
  retryServiceRevocations,
  timeOutOverdueWorkflows,
} from '../workflows/workflow-sweeps.ts';
import type { InstanceContext } from './instance-context.ts';

/** How often expired rows are swept. */
const SWEEP_INTERVAL_MS = 10 * 60_000;

/** One periodic cleanup: returns how many rows it removed or ended. */
export interface Sweep {
  /** Names the rows in the log line, e.g. `expired sessions`. */
  what: string;
  run(context: InstanceContext, now: Date): Promise<number>;
}

/**
 * The sweeps of rows nobody will present again. Expiry is always enforced when a credential is
 * presented; these only keep the tables from growing.
 */
export const SWEEPS: readonly Sweep[] = [
  {
    what: 'expired sessions',
    run: (context, now) =>
      deleteExpiredSessions(context.db, {
        idleBefore: addSeconds(now, -context.settings.sessionIdleTimeoutSeconds).toISOString(),
        createdBefore: addSeconds(now, -context.settings.sessionAbsoluteTimeoutSeconds).toISOString(),
      }),
  },
  {
    what: 'expired OAuth authorization codes',
    run: (context, now) => deleteExpiredOAuthAuthorizationCodes(context.db, now.toISOString()),
  },
  {
    what: 'expired OAuth device authorizations',
    run: (context, now) => deleteExpiredOAuthDeviceCodes(context.db, now.toISOString()),
  },
  { what: 'AI workflows past their deadline (timed out)', run: timeOutOverdueWorkflows },
  { what: 'pending workflow-service token revocations (confirmed)', run: retryServiceRevocations },
  { what: 'jobs of ended AI workflows (canceled)', run: cancelLingeringWorkflowJobs },
];

/** Runs every sweep once; one failing sweep does not stop the others. */
export async function sweepOnce(context: InstanceContext, sweeps: readonly Sweep[] = SWEEPS): Promise<void> {
  const now = context.clock.now();
  for (const sweep of sweeps) {
    try {
      const removed = await sweep.run(context, now);
      if (removed > 0) context.logger.info({ removed }, `${sweep.what} removed`);
    } catch (error) {
      context.logger.warn({ err: error }, `sweep of ${sweep.what} failed`);
    }
  }
}

/** Runs {@link sweepOnce} every ten minutes until the returned function is called. */
export function startHousekeeping(context: InstanceContext): () => void {
  const timer = setInterval(() => void sweepOnce(context), SWEEP_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
