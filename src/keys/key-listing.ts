import type { SigningKey } from '../store/schema.ts';
import { nextRotationAt } from './key-lifecycle.ts';

/** One key as the CLI shows it: everything but the key material. */
export interface KeyListingEntry {
  kid: string;
  alg: string;
  state: SigningKey['state'];
  created_at: string;
  activated_at: string | null;
  retired_at: string | null;
  remove_after: string | null;
}

/** A role's keys, oldest first, and when the scheduler will next rotate them. */
export interface KeyListing {
  role: string;
  /** Null when the role has no active key yet. */
  next_rotation_at: string | null;
  keys: KeyListingEntry[];
}

/**
 * Builds the listing from stored rows.
 *
 * @example
 * toKeyListing('instance', rows, 30 * 24 * 3600).next_rotation_at; // '2025-02-01T00:00:00.000Z'
 */
export function toKeyListing(role: string, rows: SigningKey[], rotationIntervalSeconds: number): KeyListing {
  const active = rows.find((row) => row.state === 'active');
  return {
    role,
    next_rotation_at: active?.activated_at
      ? nextRotationAt(active.activated_at, rotationIntervalSeconds).toISOString()
      : null,
    keys: rows.map((row) => ({
      kid: row.kid,
      alg: row.alg,
      state: row.state,
      created_at: row.created_at,
      activated_at: row.activated_at,
      retired_at: row.retired_at,
      remove_after: row.remove_after,
    })),
  };
}
