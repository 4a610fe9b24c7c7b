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
 * `expires_at`: absent or empty for a token that never expires (the platform's default), otherwise an
 * ISO 8601 date (taken as 00:00 UTC) or date-time in the future.
 */
export function validateDeployTokenExpiry(raw: unknown, clock: Clock): string | null {
  if (raw === undefined || raw === null || raw === '') return null;
  if (typeof raw !== 'string' || !/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(raw)) {
    throw badRequest('expires_at', 'is invalid: expected an ISO 8601 date or time');
  }
  const time = Date.parse(raw.length === 10 ? `${raw}T00:00:00Z` : raw);
  if (Number.isNaN(time)) throw badRequest('expires_at', 'is invalid: expected an ISO 8601 date or time');
  if (time <= clock.now().getTime()) throw badRequest('expires_at', 'must be in the future');
  return new Date(time).toISOString();
}
