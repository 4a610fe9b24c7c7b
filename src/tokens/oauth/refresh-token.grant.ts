import type { Actor } from '../../audit/audit-log.ts';
import { inTransaction } from '../../store/in-transaction.ts';
import {
  findOAuthTokenByRefreshDigest,
  spendOAuthRefreshToken,
} from '../../store/oauth-grants.repository.ts';
import type { OAuthApplication } from '../../store/oauth.tables.ts';
import { findUserById } from '../../store/users.repository.ts';
import { isoNow } from '../../util/clock.ts';
import { revokeGrant } from './grant-revocation.ts';
import { signIdToken } from './id-token.ts';
import type { OAuthDeps } from './oauth-deps.ts';
import { invalidGrant, invalidRequest, invalidScope } from './oauth-error.ts';
import { storedScopes } from './oauth-scopes.ts';
import { hasTypePrefix, OAUTH_REFRESH_TOKEN_PREFIX } from './oauth-secrets.ts';
import { countIssuedOAuthToken, issueTokenPair, tokenResponse, type TokenResponse } from './token-issuer.ts';

export interface RefreshRequest {
  refreshToken: string | undefined;
  /** A narrower set of the granted scopes (RFC 6749 §6); absent: the same scopes. */
  scopes: readonly string[] | undefined;
}

/**
 * `grant_type=refresh_token`, rotating on every use: the presented refresh token is spent (and the
 * access token issued with it revoked) and a new pair is issued. A spent refresh token presented again
 * is a stolen copy or a replay: the whole grant is revoked, audited, and the answer is `invalid_grant`
 * (OAuth 2.0 Security BCP, refresh token rotation).
 */
export async function redeemRefreshToken(
  deps: OAuthDeps,
  actor: Actor,
  application: OAuthApplication,
  input: RefreshRequest,
): Promise<TokenResponse> {
  const presented = input.refreshToken;
  if (!presented) throw invalidRequest('Missing required parameter: refresh_token.');
  if (!hasTypePrefix(presented, deps.policy.tokenPrefix, OAUTH_REFRESH_TOKEN_PREFIX)) throw invalidGrant();
  const found = await findOAuthTokenByRefreshDigest(deps.db, deps.digester.digest(presented));
  if (!found || found.grant.application_id !== application.id) throw invalidGrant();
  const { token, grant } = found;
  if (token.refreshed_at !== null) {
    await revokeGrant(deps, actor, grant, 'refresh_token_reuse');
    throw invalidGrant();
  }
  if (token.revoked_at !== null || grant.revoked_at !== null) throw invalidGrant();
  const user = await findUserById(deps.db, grant.user_id);
  if (!user || user.state !== 'active') throw invalidGrant();
  const granted = storedScopes(token.scopes);
  const scopes = input.scopes ?? granted;
  if (scopes.length === 0 || scopes.some((scope) => !granted.includes(scope))) {
    throw invalidScope('The requested scope exceeds the scope granted by the resource owner.');
  }

  const issued = await inTransaction(deps.db, async (trx) => {
    // Another request spent it between our read and now: this one is the replay.
    if (!(await spendOAuthRefreshToken(trx, token.id, isoNow(deps.clock)))) return null;
    return issueTokenPair(trx, deps, actor, grant, {
      scopes,
      refresh: true,
      previousTokenId: token.id,
      via: 'refresh_token',
    });
  });
  if (!issued) {
    await revokeGrant(deps, actor, grant, 'refresh_token_reuse');
    throw invalidGrant();
  }
  countIssuedOAuthToken(deps);
  const idToken = scopes.includes('openid')
    ? await signIdToken(deps, user, application.uid, {
        scopes,
        authTime: grant.auth_time,
        accessToken: issued.accessToken,
      })
    : undefined;
  return tokenResponse(issued, idToken);
}
