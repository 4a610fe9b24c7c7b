import type { Db } from './database.ts';
import type { HousekeeperLock } from './housekeeper-lock.ts';

/**
 * A lease lasts three election intervals: a holder that misses one renewal (a busy store) keeps it,
 * and one that died frees it within three intervals.
 */
export const LEASE_INTERVALS = 3;

/** A lease that has always expired: what a fresh row and a released lease carry. */
const EXPIRED = new Date(0).toISOString();

export interface LeaseClaim {
  name: string;
  holder: string;
  /** Unique to the claimant: a renewal matches it, so two processes with one replica id still differ. */
  token: string;
  now: Date;
  expiresAt: Date;
}

/**
 * Takes the lease if it expired, or renews it if `token` holds it, in one conditional UPDATE: of
 * several processes racing for an expired lease exactly one changes the row. True when it did.
 */
export async function claimHousekeepingLease(db: Db, claim: LeaseClaim): Promise<boolean> {
  await db
    .insertInto('housekeeping_leases')
    .values({ name: claim.name, holder: claim.holder, token: '', expires_at: EXPIRED, renewed_at: EXPIRED })
    .onConflict((conflict) => conflict.column('name').doNothing())
    .execute();
  const now = claim.now.toISOString();
  const result = await db
    .updateTable('housekeeping_leases')
    .set({
      holder: claim.holder,
      token: claim.token,
      expires_at: claim.expiresAt.toISOString(),
      renewed_at: now,
    })
    .where('name', '=', claim.name)
    .where((eb) => eb.or([eb('token', '=', claim.token), eb('expires_at', '<=', now)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Ends the lease now if `token` holds it, so the next claimant need not wait for it to expire. */
export async function releaseHousekeepingLease(db: Db, name: string, token: string): Promise<void> {
  await db
    .updateTable('housekeeping_leases')
    .set({ expires_at: EXPIRED })
    .where('name', '=', name)
    .where('token', '=', token)
    .execute();
}

/** Who holds the lease and until when (for tests and operators); undefined before the first claim. */
export async function findHousekeepingLease(db: Db, name: string) {
  return db.selectFrom('housekeeping_leases').selectAll().where('name', '=', name).executeTakeFirst();
}

/**
 * The SQLite housekeeper lock: a lease of `leaseMs`, renewed at every `hold`. It runs on the wall
 * clock, not the instance's clock: it measures whether a process is alive, and a test's frozen clock
 * would keep a dead holder's lease forever.
 */
export function leaseHousekeeperLock(
  db: Db,
  lease: { name: string; holder: string; token: string; leaseMs: number },
): HousekeeperLock {
  return {
    kind: 'lease',
    hold() {
      const now = new Date();
      return claimHousekeepingLease(db, {
        ...lease,
        now,
        expiresAt: new Date(now.getTime() + lease.leaseMs),
      });
    },
    // A lease is only lost when a renewal fails, which `hold` answers.
    onLost() {},
    release: () => releaseHousekeepingLease(db, lease.name, lease.token),
  };
}
