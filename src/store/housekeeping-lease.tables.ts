import type { Selectable } from 'kysely';

/** The housekeeper lease of a SQLite store (migration 012): one row per election. */
export interface HousekeepingLeasesTable {
  name: string;
  /** Replica id of the process that holds (or last held) the lease. */
  holder: string;
  /** Random per election attempt: only the holder's renewal matches it. */
  token: string;
  /** ISO time; after it, any process may take the lease. */
  expires_at: string;
  renewed_at: string;
}

export type HousekeepingLease = Selectable<HousekeepingLeasesTable>;

export interface HousekeepingLeaseTables {
  housekeeping_leases: HousekeepingLeasesTable;
}
