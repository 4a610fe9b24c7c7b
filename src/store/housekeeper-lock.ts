import { randomBytes } from 'node:crypto';
import { engineOf, type Db } from './database.ts';
import { AdvisoryHousekeeperLock } from './housekeeper-advisory-lock.ts';
import { LEASE_INTERVALS, leaseHousekeeperLock } from './housekeeping-lease.repository.ts';

/**
 * What one replica holds while it is the housekeeper: a PostgreSQL session advisory lock, or a
 * SQLite lease row. The election (src/runtime/housekeeper-election.ts) decides what to do with it.
 */
export interface HousekeeperLock {
  /** `advisory lock` or `lease`, for log lines. */
  readonly kind: string;
  /**
   * Takes the lock, or confirms it is still held: true while this replica holds it, false while
   * another does. Throws when the store does not answer.
   */
  hold(): Promise<boolean>;
  /** Called when the lock is lost between two calls of `hold` (its connection dropped). */
  onLost(listener: (reason: string) => void): void;
  /** Gives the lock up, so that another replica can take it at its next attempt. */
  release(): Promise<void>;
}

export interface HousekeeperLockOptions {
  db: Db;
  databaseUrl: string;
  /** Which election: `instance`, `license-authority`. */
  name: string;
  /** The replica id, recorded where an operator can read it. */
  holder: string;
  /** Between two calls of `hold`: sets how long a lease lasts, and how long a silent connection is trusted. */
  intervalMs: number;
}

/** The lock of the store's engine: an advisory lock on PostgreSQL, a lease row on SQLite. */
export function openHousekeeperLock(options: HousekeeperLockOptions): HousekeeperLock {
  if (engineOf(options.databaseUrl) === 'postgres') return new AdvisoryHousekeeperLock(options);
  return leaseHousekeeperLock(options.db, {
    name: options.name,
    holder: options.holder,
    token: randomBytes(16).toString('hex'),
    leaseMs: options.intervalMs * LEASE_INTERVALS,
  });
}
