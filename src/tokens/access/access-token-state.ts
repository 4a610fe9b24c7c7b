import type { CredentialKind } from '../../identity/principal.ts';
import type { AccessTokenKind } from '../../store/access-tokens.repository.ts';
import type { AccessToken } from '../../store/schema.ts';
import type { Clock } from '../../util/clock.ts';
import { isAccessTokenExpired } from './access-token-expiry.ts';

export type AccessTokenState = 'active' | 'expired' | 'revoked';

/** Revoked wins over expired: it is the stronger statement about the token. */
export function accessTokenState(token: AccessToken, clock: Clock): AccessTokenState {
  if (token.revoked) return 'revoked';
  return isAccessTokenExpired(token.expires_at, clock) ? 'expired' : 'active';
}

/** The token's scopes, as stored (a JSON array). */
export function scopesOf(token: AccessToken): string[] {
  const parsed: unknown = JSON.parse(token.scopes);
  return Array.isArray(parsed) ? parsed.filter((s): s is string => typeof s === 'string') : [];
}

const CREDENTIAL_KINDS = {
  personal: 'personal_access_token',
  project: 'project_access_token',
  group: 'group_access_token',
} as const satisfies Record<AccessTokenKind, CredentialKind>;

/** `personal_access_token` for a personal token, and so on: the principal's credential kind, the audit entity type and the metric label. */
export function credentialKindOf(kind: AccessTokenKind): (typeof CREDENTIAL_KINDS)[AccessTokenKind] {
  return CREDENTIAL_KINDS[kind];
}
