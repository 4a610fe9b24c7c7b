import type { Logger } from '../observability/logger.ts';

/**
 * Runs the scheduled key step for each role on a timer that does not keep the process alive. A step
 * that fails is logged and retried at the next interval; one that is still running is not started again.
 *
 * @example
 * const scheduler = new KeyScheduler((role) => keys.tick(role), logger);
 * scheduler.start(['instance'], 60_000);
 */
export class KeyScheduler {
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(
    private readonly step: (role: string) => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  start(roles: readonly string[], intervalMs: number): void {
    this.stop();
    this.#timer = setInterval(() => void this.#runAll(roles), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #runAll(roles: readonly string[]): Promise<void> {
    // A slow step (a store that holds a lock) must not pile up behind itself.
    if (this.#running) return;
    this.#running = true;
    try {
      for (const role of roles) {
        await this.step(role).catch((error: unknown) =>
          this.logger.error({ err: error, role }, 'scheduled signing key rotation failed'),
        );
      }
    } finally {
      this.#running = false;
    }
  }
}
