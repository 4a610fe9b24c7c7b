import { isUserScope, userScopeOf } from '../../identity/composite-identity.ts';
import { OAUTH_SCOPES } from '../../keys/openid-configuration.ts';
import type { OAuthApplication } from '../../store/oauth.tables.ts';
import { invalidScope } from './oauth-error.ts';

/** Scopes an application may be registered with; `user:<id>` is granted per token, never registered. */
export const APPLICATION_SCOPES: readonly string[] = OAUTH_SCOPES;

/** The scope a request gets when it names none, as on the platform. */
export const DEFAULT_SCOPE = 'api';

/**
 * A scope parameter as clients send it: space-separated (RFC 6749 §3.3), or an array. Duplicates are
 * dropped; order is kept.
 *
 * @example
 * parseScopes('openid  profile openid'); // ['openid', 'profile']
 */
export function parseScopes(value: unknown): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const parts = Array.isArray(value)
    ? value.flatMap((v) => String(v).split(/[\s,]+/))
    : String(value).split(/[\s,]+/);
  return [...new Set(parts.filter((part) => part !== ''))];
}

/** A list stored as JSON text on a row (scopes, redirect URIs). */
export function storedList(json: string): string[] {
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed) ? parsed.filter((s): s is string => typeof s === 'string') : [];
}

/** The scopes stored as JSON on a row. */
export const storedScopes = storedList;

/**
 * The scopes a token request may get from `application`: each registered for it, or a well-formed
 * `user:<id>` when the application may issue composite tokens (at most one). Absent: the default.
 * Anything else is `invalid_scope`.
 */
export function grantableScopes(
  application: OAuthApplication,
  requested: readonly string[] | undefined,
): string[] {
  const scopes = requested ?? [DEFAULT_SCOPE];
  const registered = storedScopes(application.scopes);
  for (const scope of scopes) {
    if (isUserScope(scope)) {
      if (application.dynamic_user_scope !== 1) {
        throw invalidScope('The application is not allowed the dynamic user:* scope.');
      }
      continue;
    }
    if (!registered.includes(scope)) throw invalidScope();
  }
  const userScopes = scopes.filter(isUserScope);
  if (userScopes.length > 0 && userScopeOf(userScopes).kind !== 'one') {
    throw invalidScope('At most one well-formed user:<id> scope may be asked for.');
  }
  if (scopes.length === 0) throw invalidScope();
  return [...scopes];
}

/** The scopes as a token response and introspection state them: space-separated. */
export function scopeString(scopes: readonly string[]): string {
  return scopes.join(' ');
}
