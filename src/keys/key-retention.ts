import type { Settings } from '../config/settings.ts';

/** Extra seconds a retired key stays published beyond the longest token lifetime. */
export const RETIREMENT_MARGIN_SECONDS = 60;

/**
 * The longest lifetime of a token signed with one role's keys. The license authority signs instance
 * tokens that live for days, longer than any JWT the instance signs, so its retired keys must stay
 * published that much longer whoever rotates them (its scheduler or `tessera keys rotate`).
 */
export function longestTokenLifetimeSeconds(settings: Settings, role: string): number {
  if (role === 'license-authority') {
    return Math.max(settings.maxJwtLifetimeSeconds, settings.cloudConnector.instanceTokenLifetimeSeconds);
  }
  return settings.maxJwtLifetimeSeconds;
}

/**
 * How long a retired key of `role` stays published: its longest token lifetime, plus a margin for
 * replicas that still sign with it for a moment after a rotation (their active-key cache) and for
 * clock skew.
 *
 * @example
 * retentionSeconds(settings, 'instance'); // maxJwtLifetimeSeconds + 60
 */
export function retentionSeconds(settings: Settings, role: string): number {
  return longestTokenLifetimeSeconds(settings, role) + RETIREMENT_MARGIN_SECONDS;
}
