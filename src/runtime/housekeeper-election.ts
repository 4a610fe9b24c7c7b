import { SYSTEM_ACTOR, type Actor } from '../audit/audit-log.ts';
import type { Settings } from '../config/settings.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Db } from '../store/database.ts';
import { openHousekeeperLock, type HousekeeperLock } from '../store/housekeeper-lock.ts';

/** The scheduled work of a role: started on the replica elected, stopped when it is not any more. */
export interface HousekeeperDuties {
  /** `actor` is the system acting from this replica: audit events of scheduled jobs name it. */
  start(actor: Actor): void;
  stop(): Promise<void>;
}

export interface HousekeeperElectionOptions {
  replicaId: string;
  /** Between two attempts to take the lock, and two confirmations that it is still held. */
  intervalMs: number;
  logger: Logger;
  duties: HousekeeperDuties;
  /** Told of every change, e.g. to set the `tessera_housekeeper` gauge. */
  onChange?: (elected: boolean) => void;
}

/**
 * Makes exactly one replica of a role the housekeeper, the one that runs the schedulers (key
 * rotation, the cloud sync, the sweeps). Every replica tries to take the store's lock every
 * `intervalMs`; the holder confirms it as often. A holder that loses the lock (its connection
 * dropped, its lease was taken) stops its duties at once; the others take over at their next
 * attempt after the lock is free.
 *
 * @example
 * const election = new HousekeeperElection(openHousekeeperLock({ … }), { replicaId, intervalMs, logger, duties });
 * await election.start();
 * election.isHousekeeper; // true on one replica
 */
export class HousekeeperElection {
  readonly actor: Actor;
  #elected = false;
  #stopped = true;
  #timer: NodeJS.Timeout | undefined;
  #attempt: Promise<void> | undefined;

  constructor(
    private readonly lock: HousekeeperLock,
    private readonly options: HousekeeperElectionOptions,
  ) {
    this.actor = { ...SYSTEM_ACTOR, replicaId: options.replicaId };
    lock.onLost((reason) => void this.#lose(reason));
  }

  get isHousekeeper(): boolean {
    return this.#elected;
  }

  get replicaId(): string {
    return this.options.replicaId;
  }

  /** Makes the first attempt (a lone replica is housekeeper when this returns), then keeps trying. */
  async start(): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    await this.#tryOnce();
    this.#timer = setInterval(() => void this.#tryOnce(), this.options.intervalMs);
    this.#timer.unref();
  }

  /** Stops the duties and gives the lock up, so that another replica takes over at its next attempt. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#attempt;
    await this.#lose('shutting down');
    // A store that cannot be told frees the lock anyway: the session ends, or the lease expires.
    await this.lock
      .release()
      .catch((error: unknown) =>
        this.options.logger.warn(
          { err: error, replica: this.options.replicaId },
          'housekeeper lock not released',
        ),
      );
  }

  #tryOnce(): Promise<void> {
    // A store slow to answer must not stack attempts behind one another.
    this.#attempt ??= this.#attemptElection().finally(() => {
      this.#attempt = undefined;
    });
    return this.#attempt;
  }

  async #attemptElection(): Promise<void> {
    let held: boolean;
    let reason = 'another replica holds the lock';
    try {
      held = await this.lock.hold();
    } catch (error) {
      held = false;
      reason = 'the store did not answer';
      this.options.logger.warn(
        { err: error, replica: this.options.replicaId },
        'housekeeper election failed',
      );
    }
    if (this.#stopped) return;
    if (held && !this.#elected) {
      this.#elected = true;
      this.options.onChange?.(true);
      this.options.logger.info(
        { replica: this.options.replicaId, via: this.lock.kind },
        'housekeeper elected',
      );
      this.options.duties.start(this.actor);
    } else if (!held) {
      await this.#lose(reason);
    }
  }

  async #lose(reason: string): Promise<void> {
    if (!this.#elected) return;
    this.#elected = false;
    this.options.onChange?.(false);
    const level = this.#stopped ? 'info' : 'warn';
    this.options.logger[level]({ replica: this.options.replicaId, reason }, 'housekeeper lost');
    await this.options.duties
      .stop()
      .catch((error: unknown) =>
        this.options.logger.error({ err: error }, 'housekeeper duties did not stop cleanly'),
      );
  }
}

/**
 * The election of one role's housekeeper on the role's store (`name`: `instance`,
 * `license-authority`), with this replica's id and interval from the settings.
 */
export function housekeeperElection(options: {
  settings: Pick<Settings, 'databaseUrl' | 'replicaId' | 'housekeeperIntervalMs'>;
  db: Db;
  name: string;
  logger: Logger;
  duties: HousekeeperDuties;
  metrics: Pick<Metrics, 'housekeeper'>;
}): HousekeeperElection {
  const { settings } = options;
  const lock = openHousekeeperLock({
    db: options.db,
    databaseUrl: settings.databaseUrl,
    name: options.name,
    holder: settings.replicaId,
    intervalMs: settings.housekeeperIntervalMs,
  });
  return new HousekeeperElection(lock, {
    replicaId: settings.replicaId,
    intervalMs: settings.housekeeperIntervalMs,
    logger: options.logger,
    duties: options.duties,
    onChange: (elected) => options.metrics.housekeeper.set(elected ? 1 : 0),
  });
}
