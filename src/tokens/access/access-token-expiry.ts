import { badRequest } from '../../errors/tessera-error.ts';
import type { Clock } from '../../util/clock.ts';

/*
 * An access token expires on a date, at 00:00 UTC of that date, as on the platform: a token whose
 * `expires_at` is today is already expired.
 */

/** New expiry of a rotated token when none is asked for. */
export const DEFAULT_ROTATION_DAYS = 7;

const DAY_MS = 24 * 60 * 60 * 1000;
/** The UTC day asked for last: every authenticated request asks, and formatting a date each time shows in its profile. */
let lastDay = { from: 0, until: 0, date: '' };

/** Today's date in UTC, `YYYY-MM-DD`. */
export function todayUtc(clock: Clock): string {
  const now = clock.now().getTime();
  if (now < lastDay.from || now >= lastDay.until) {
    const from = Math.floor(now / DAY_MS) * DAY_MS;
    lastDay = { from, until: from + DAY_MS, date: new Date(from).toISOString().slice(0, 10) };
  }
  return lastDay.date;
}

/** The date `days` after `date` (both `YYYY-MM-DD`). */
export function addDays(date: string, days: number): string {
  const at = new Date(`${date}T00:00:00.000Z`);
  at.setUTCDate(at.getUTCDate() + days);
  return at.toISOString().slice(0, 10);
}

/** True once the clock has reached 00:00 UTC of the expiry date. */
export function isAccessTokenExpired(expiresAt: string, clock: Clock): boolean {
  return expiresAt <= todayUtc(clock);
}

/**
 * The expiry date a request asks for, as `YYYY-MM-DD`: required, a real date, after today and at most
 * `maxDays` ahead; otherwise a 400 naming `expires_at`. A full ISO timestamp is accepted for its date.
 *
 * @example
 * validateExpiry('2026-02-01', clock, 365) // '2026-02-01' when today is 2026-01-01
 */
export function validateExpiry(raw: unknown, clock: Clock, maxDays: number): string {
  if (raw === undefined || raw === null || raw === '') throw badRequest('expires_at', 'is missing');
  const date =
    typeof raw === 'string'
      ? /^(\d{4}-\d{2}-\d{2})(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.exec(raw)?.[1]
      : undefined;
  if (
    !date ||
    Number.isNaN(Date.parse(`${date}T00:00:00Z`)) ||
    new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date
  ) {
    throw badRequest('expires_at', 'is invalid: expected a date as YYYY-MM-DD');
  }
  const today = todayUtc(clock);
  if (date <= today) throw badRequest('expires_at', 'must be in the future');
  const latest = addDays(today, maxDays);
  if (date > latest) throw badRequest('expires_at', `must be at most ${maxDays} days ahead (${latest})`);
  return date;
}

/**
 * A new token's expiry when the request names none: the longest the policy allows, as the platform
 * does (`expires_at` is optional on every access token it creates).
 */
export function expiryOrLongest(raw: unknown, clock: Clock, maxDays: number): unknown {
  return raw === undefined || raw === null || raw === '' ? addDays(todayUtc(clock), maxDays) : raw;
}

/** The expiry of a rotated token: the one asked for, or a week ahead, never beyond the policy. */
export function rotationExpiry(raw: unknown, clock: Clock, maxDays: number): string {
  if (raw === undefined || raw === null || raw === '') {
    return addDays(todayUtc(clock), Math.min(DEFAULT_ROTATION_DAYS, maxDays));
  }
  return validateExpiry(raw, clock, maxDays);
}
