import { SYSTEM_ACTOR, type Actor } from '../audit/audit-log.ts';
import type { Logger } from '../observability/logger.ts';

/** How often the scheduler looks at the active key's age, unless keys rotate more often than that. */
const CHECK_INTERVAL_MS = 60_000;

/**
 * Milliseconds between two scheduled key steps: once a minute, or once per rotation interval when
 * that is shorter (tests), so that a key is never rotated much later than due.
 */
export function keyCheckIntervalMs(rotationIntervalSeconds: number): number {
  return Math.min(CHECK_INTERVAL_MS, rotationIntervalSeconds * 1000);
}

/**
 * Runs the scheduled key step for each role at start and then on a timer that does not keep the
 * process alive. A step that fails is logged and retried at the next interval; one that is still
 * running is not started again.
 *
 * @example
 * const scheduler = new KeyScheduler((role) => keys.tick(role), logger);
 * scheduler.start(['instance'], 60_000);
 */
export class KeyScheduler {
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(
    private readonly step: (role: string, actor: Actor) => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  start(roles: readonly string[], intervalMs: number, actor: Actor = SYSTEM_ACTOR): void {
    this.stop();
    this.#timer = setInterval(() => void this.#runAll(roles, actor), intervalMs);
    this.#timer.unref();
    // A replica that takes over from one that died does at once what may have been due meanwhile.
    void this.#runAll(roles, actor);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #runAll(roles: readonly string[], actor: Actor): Promise<void> {
    // A slow step (a store that holds a lock) must not pile up behind itself.
    if (this.#running) return;
    this.#running = true;
    try {
      for (const role of roles) {
        await this.step(role, actor).catch((error: unknown) =>
          this.logger.error({ err: error, role }, 'scheduled signing key rotation failed'),
        );
      }
    } finally {
      this.#running = false;
    }
  }
}
