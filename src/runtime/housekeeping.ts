import { deleteExpiredSessions } from '../store/sessions.repository.ts';
import { addSeconds } from '../util/clock.ts';
import type { InstanceContext } from './instance-context.ts';

/** How often expired rows are swept. */
const SWEEP_INTERVAL_MS = 10 * 60_000;

/**
 * Periodic cleanup of rows nobody will present again (expired sessions). Expiry is enforced when a
 * session is presented; this only keeps the table from growing.
 */
export function startHousekeeping(context: InstanceContext): () => void {
  const sweep = async () => {
    const now = context.clock.now();
    try {
      const removed = await deleteExpiredSessions(context.db, {
        idleBefore: addSeconds(now, -context.settings.sessionIdleTimeoutSeconds).toISOString(),
        createdBefore: addSeconds(now, -context.settings.sessionAbsoluteTimeoutSeconds).toISOString(),
      });
      if (removed > 0) context.logger.info({ removed }, 'expired sessions removed');
    } catch (error) {
      context.logger.warn({ err: error }, 'session sweep failed');
    }
  };
  const timer = setInterval(() => void sweep(), SWEEP_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
