import type { Logger } from '../../observability/logger.ts';
import { updateCloudConnectorState } from '../../store/cloud-connector-state.repository.ts';
import type { CloudConnectorDeps } from './cloud-connector-deps.ts';
import { nextSyncDelaySeconds, syncInstanceToken, type SyncOutcome } from './sync-instance-token.ts';

/**
 * Runs the instance-token sync in the background: at start, then after each run at the delay
 * {@link nextSyncDelaySeconds} picks (backoff after failures). A run never overlaps another; an
 * on-demand run ({@link SyncScheduler.runNow}) reschedules the next one. Nothing a run does can
 * crash the process: every error is caught, recorded and logged.
 */
export class SyncScheduler {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<SyncOutcome | undefined> | undefined;
  #stopped = true;

  constructor(
    private readonly deps: CloudConnectorDeps,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Stops scheduling and waits for a run in progress to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Syncs now (joining a run already in progress) and returns what it did. */
  async runNow(): Promise<SyncOutcome | undefined> {
    if (this.#running) return this.#running;
    clearTimeout(this.#timer);
    this.#running = this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #run(): Promise<SyncOutcome | undefined> {
    let outcome: SyncOutcome | undefined;
    let delay = this.deps.settings.cloudConnector.retryBaseSeconds;
    try {
      outcome = await syncInstanceToken(this.deps);
      delay = nextSyncDelaySeconds(outcome, this.deps.settings.cloudConnector, this.deps.clock.now());
      const next = new Date(this.deps.clock.now().getTime() + delay * 1000).toISOString();
      if (!this.#stopped) await updateCloudConnectorState(this.deps.db, { next_sync_at: next });
    } catch (error) {
      // The store itself failed (an outage): try again after the retry delay.
      this.logger.warn({ err: error }, 'cloud connector: sync could not run');
    }
    if (!this.#stopped) this.#schedule(delay);
    return outcome;
  }

  #schedule(seconds: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.runNow(), seconds * 1000);
    this.#timer.unref();
  }
}
