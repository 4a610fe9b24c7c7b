import { recordAudit, type Actor } from '../../audit/audit-log.ts';
import type { Executor } from '../../store/database.ts';
import { insertOAuthToken } from '../../store/oauth-grants.repository.ts';
import type { OAuthGrant, OAuthToken } from '../../store/oauth.tables.ts';
import { addSeconds } from '../../util/clock.ts';
import type { OAuthDeps } from './oauth-deps.ts';
import { scopeString } from './oauth-scopes.ts';
import {
  mintPrefixedSecret,
  OAUTH_ACCESS_TOKEN_PREFIX,
  OAUTH_REFRESH_TOKEN_PREFIX,
} from './oauth-secrets.ts';

/** A token pair just stored, with the one copy of each secret that will ever exist outside the caller. */
export interface IssuedOAuthTokens {
  token: OAuthToken;
  accessToken: string;
  refreshToken: string | null;
}

export interface IssueOptions {
  scopes: readonly string[];
  /** Issue a refresh token with the access token. */
  refresh: boolean;
  /** Access token lifetime; the instance's setting when absent. */
  lifetimeSeconds?: number;
  /** The pair whose refresh token this one replaces. */
  previousTokenId?: number | null;
  /** How it was obtained, for the audit log: `authorization_code`, `refresh_token`, `device_code`, `composite`. */
  via: string;
}

/**
 * Stores a new access token (and refresh token) under their digests in `grant`, with the audit event.
 * Call inside the transaction that makes the change; count it with {@link countIssuedOAuthToken} once
 * it has committed.
 */
export async function issueTokenPair(
  trx: Executor,
  deps: OAuthDeps,
  actor: Actor,
  grant: OAuthGrant,
  options: IssueOptions,
): Promise<IssuedOAuthTokens> {
  const accessToken = mintPrefixedSecret(deps.policy.tokenPrefix, OAUTH_ACCESS_TOKEN_PREFIX);
  const refreshToken = options.refresh
    ? mintPrefixedSecret(deps.policy.tokenPrefix, OAUTH_REFRESH_TOKEN_PREFIX)
    : null;
  const now = deps.clock.now();
  // Whole seconds, so that `expires_in` and `created_at` describe exactly the stored expiry.
  const created = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const lifetime = options.lifetimeSeconds ?? deps.policy.accessTokenLifetimeSeconds;
  const token = await insertOAuthToken(trx, {
    grant_id: grant.id,
    digest: deps.digester.digest(accessToken),
    refresh_digest: refreshToken === null ? null : deps.digester.digest(refreshToken),
    scopes: JSON.stringify(options.scopes),
    created_at: created.toISOString(),
    expires_at: addSeconds(created, lifetime).toISOString(),
    revoked_at: null,
    refreshed_at: null,
    previous_token_id: options.previousTokenId ?? null,
  });
  await recordAudit(trx, deps.clock, actor, {
    action: 'oauth_access_token.created',
    entity: { type: 'User', id: grant.user_id },
    target: { type: 'OAuthAccessToken', id: token.id },
    details: {
      token_id: token.id,
      grant_id: grant.id,
      application_id: grant.application_id,
      user_id: grant.user_id,
      scopes: options.scopes,
      expires_at: token.expires_at,
      refresh_token: refreshToken !== null,
      via: options.via,
      ...(options.previousTokenId ? { previous_token_id: options.previousTokenId } : {}),
      ...(grant.workflow_id ? { workflow_id: grant.workflow_id } : {}),
    },
  });
  return { token, accessToken, refreshToken };
}

/** Counts an issued token once its transaction has committed. */
export function countIssuedOAuthToken(deps: OAuthDeps): void {
  deps.metrics.tokensIssued.inc({ type: 'oauth_access_token' });
}

/** The token endpoint's success body (RFC 6749 §5.1), with GitLab's `created_at` (epoch seconds). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  scope: string;
  created_at: number;
  id_token?: string;
}

export function tokenResponse(issued: IssuedOAuthTokens, idToken?: string): TokenResponse {
  const createdAt = new Date(issued.token.created_at).getTime();
  const expiresAt = new Date(issued.token.expires_at).getTime();
  const scopes: unknown = JSON.parse(issued.token.scopes);
  return {
    access_token: issued.accessToken,
    token_type: 'Bearer',
    expires_in: Math.round((expiresAt - createdAt) / 1000),
    ...(issued.refreshToken !== null ? { refresh_token: issued.refreshToken } : {}),
    scope: scopeString(Array.isArray(scopes) ? (scopes as string[]) : []),
    created_at: Math.floor(createdAt / 1000),
    ...(idToken !== undefined ? { id_token: idToken } : {}),
  };
}
