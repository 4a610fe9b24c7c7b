import { recordAudit, type Actor } from '../../audit/audit-log.ts';
import { inTransaction } from '../../store/in-transaction.ts';
import {
  findOAuthTokenByDigest,
  findOAuthTokenByRefreshDigest,
  revokeOAuthToken,
  type OAuthTokenWithGrant,
} from '../../store/oauth-grants.repository.ts';
import type { OAuthApplication } from '../../store/oauth.tables.ts';
import { isoNow } from '../../util/clock.ts';
import { revokeGrant } from './grant-revocation.ts';
import type { OAuthDeps } from './oauth-deps.ts';
import { hasTypePrefix, OAUTH_ACCESS_TOKEN_PREFIX, OAUTH_REFRESH_TOKEN_PREFIX } from './oauth-secrets.ts';

/** A token found from its plaintext, and which of the pair it is. */
export interface PresentedOAuthToken extends OAuthTokenWithGrant {
  type: 'access_token' | 'refresh_token';
}

/** The pair a plaintext access or refresh token belongs to (found by its prefix, whatever the hint says). */
export async function findPresentedOAuthToken(
  deps: OAuthDeps,
  plaintext: string | undefined,
): Promise<PresentedOAuthToken | undefined> {
  if (!plaintext || plaintext.length > 1024) return undefined;
  const { tokenPrefix } = deps.policy;
  if (hasTypePrefix(plaintext, tokenPrefix, OAUTH_ACCESS_TOKEN_PREFIX)) {
    const found = await findOAuthTokenByDigest(deps.db, deps.digester.digest(plaintext));
    return found && { ...found, type: 'access_token' };
  }
  if (hasTypePrefix(plaintext, tokenPrefix, OAUTH_REFRESH_TOKEN_PREFIX)) {
    const found = await findOAuthTokenByRefreshDigest(deps.db, deps.digester.digest(plaintext));
    return found && { ...found, type: 'refresh_token' };
  }
  return undefined;
}

/**
 * `POST /oauth/revoke` (RFC 7009). An access token is revoked with its pair; a refresh token revokes
 * its whole grant. A token that is unknown, already dead, or another client's is left alone, and the
 * caller answers 200 all the same, so the endpoint tells nobody whether a token exists.
 */
export async function revokePresentedToken(
  deps: OAuthDeps,
  actor: Actor,
  application: OAuthApplication,
  plaintext: string | undefined,
): Promise<void> {
  const found = await findPresentedOAuthToken(deps, plaintext);
  if (!found || found.grant.application_id !== application.id) return;
  if (found.type === 'refresh_token') {
    await revokeGrant(deps, actor, found.grant, 'revoked');
    return;
  }
  await revokeAccessTokenPair(deps, actor, found);
}

/** Revokes one access token (and the refresh token issued with it), audited. */
export async function revokeAccessTokenPair(
  deps: OAuthDeps,
  actor: Actor,
  found: OAuthTokenWithGrant,
): Promise<void> {
  await inTransaction(deps.db, async (trx) => {
    if (!(await revokeOAuthToken(trx, found.token.id, isoNow(deps.clock)))) return;
    await recordAudit(trx, deps.clock, actor, {
      action: 'oauth_access_token.revoked',
      entity: { type: 'User', id: found.grant.user_id },
      target: { type: 'OAuthAccessToken', id: found.token.id },
      details: {
        token_id: found.token.id,
        grant_id: found.grant.id,
        application_id: found.grant.application_id,
      },
    });
  });
}
