import { badRequest } from '../../errors/tessera-error.ts';
import type { Clock } from '../../util/clock.ts';
import { DEPLOY_TOKEN_SCOPES, type DeployTokenScope } from './deploy-token-state.ts';

/** A deploy token creation as the transport parsed it (not yet validated). */
export interface NewDeployTokenRequest {
  name?: string;
  username?: string;
  scopes: readonly string[];
  expiresAt?: unknown;
}

export interface ValidDeployTokenRequest {
  name: string;
  /** Absent: `gitlab+deploy-token-{id}`. */
  username?: string;
  scopes: DeployTokenScope[];
  /** ISO instant, or null for a token that never expires. */
  expiresAt: string | null;
}

const MAX_LENGTH = 255;
const USERNAME = /^[a-zA-Z0-9.+_-]+$/;
/** Usernames that other credentials claim over HTTP basic: a deploy token named so could never be used. */
const RESERVED_USERNAMES = ['gitlab-ci-token', 'oauth2'];

/** The request, checked field by field; the first problem is a 400 naming its field. */
export function validateNewDeployToken(
  request: NewDeployTokenRequest,
  clock: Clock,
): ValidDeployTokenRequest {
  const name = request.name?.trim() ?? '';
  if (name.length === 0) throw badRequest('name', 'is missing');
  if (name.length > MAX_LENGTH) throw badRequest('name', `is too long (maximum is ${MAX_LENGTH} characters)`);
  const valid: ValidDeployTokenRequest = {
    name,
    scopes: validateDeployTokenScopes(request.scopes),
    expiresAt: validateDeployTokenExpiry(request.expiresAt, clock),
  };
  if (request.username !== undefined && request.username !== '') {
    const username = request.username;
    if (username.length > MAX_LENGTH || !USERNAME.test(username)) {
      throw badRequest('username', 'can contain only letters, digits, "_", "-", "+" and "."');
    }
    if (RESERVED_USERNAMES.includes(username.toLowerCase())) throw badRequest('username', 'is reserved');
    valid.username = username;
  }
  return valid;
}

/** At least one scope, each a deploy token scope; duplicates collapse. */
export function validateDeployTokenScopes(requested: readonly string[]): DeployTokenScope[] {
  if (requested.length === 0) throw badRequest('scopes', 'is missing');
  const unknown = requested.find((s) => !(DEPLOY_TOKEN_SCOPES as readonly string[]).includes(s));
  if (unknown !== undefined) throw badRequest('scopes', 'does not have a valid value');
  return [...new Set(requested)] as DeployTokenScope[];
}

/**
 * `expires_at`: absent or empty for a token that never expires (the platform's default), otherwise any
 * real date or time the platform accepts: an ISO 8601 date (taken as 00:00 UTC), or a date and time
 * with `T` or a space, with or without seconds, fraction and zone (`Z`, `+02:00`, `UTC`). Like the
 * platform, any such date is taken, however far ahead; a date already past makes a token that is
 * expired from the start.
 */
export function validateDeployTokenExpiry(raw: unknown, _clock: Clock): string | null {
  if (raw === undefined || raw === null || raw === '') return null;
  const match =
    typeof raw === 'string'
      ? /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)\s*(Z|UTC|[+-]\d{2}:?\d{2})?)?$/i.exec(
          raw.trim(),
        )
      : null;
  if (!match) throw badRequest('expires_at', 'is invalid: expected an ISO 8601 date or time');
  const [, date, time, zone] = match;
  const offset =
    !zone || /^(z|utc)$/i.test(zone)
      ? 'Z'
      : zone.includes(':')
        ? zone
        : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const parsed = Date.parse(`${date}T${time ?? '00:00'}${offset}`);
  const midnight = Date.parse(`${date}T00:00:00Z`);
  // A day the calendar does not have (2027-02-30) either fails to parse or rolls over: both refused.
  const realDay = !Number.isNaN(midnight) && new Date(midnight).toISOString().slice(0, 10) === date;
  const sameDay = realDay && !Number.isNaN(parsed);
  if (!sameDay) throw badRequest('expires_at', 'is invalid: expected an ISO 8601 date or time');
  return new Date(parsed).toISOString();
}
