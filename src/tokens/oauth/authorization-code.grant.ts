import type { Actor } from '../../audit/audit-log.ts';
import { inTransaction } from '../../store/in-transaction.ts';
import {
  findOAuthAuthorizationCodeByDigest,
  findOAuthGrantById,
  markOAuthAuthorizationCodeUsed,
} from '../../store/oauth-grants.repository.ts';
import type { OAuthApplication } from '../../store/oauth.tables.ts';
import { findUserById } from '../../store/users.repository.ts';
import { isoNow } from '../../util/clock.ts';
import { revokeGrant } from './grant-revocation.ts';
import { signIdToken } from './id-token.ts';
import type { OAuthDeps } from './oauth-deps.ts';
import { invalidGrant, invalidRequest } from './oauth-error.ts';
import { storedList, storedScopes } from './oauth-scopes.ts';
import { verifiesS256 } from './pkce.ts';
import { countIssuedOAuthToken, issueTokenPair, tokenResponse, type TokenResponse } from './token-issuer.ts';

export interface CodeRedemption {
  code: string | undefined;
  redirectUri: string | undefined;
  codeVerifier: string | undefined;
}

/**
 * `grant_type=authorization_code`: checks, as named steps in order, that the code exists, is this
 * client's, has not been used (a second use revokes everything issued from it, RFC 6749 §4.1.2), has
 * not expired, names the same redirect URI and passes PKCE; then spends it and issues an access token,
 * a refresh token, and an ID token when `openid` was granted.
 */
export async function redeemAuthorizationCode(
  deps: OAuthDeps,
  actor: Actor,
  application: OAuthApplication,
  input: CodeRedemption,
): Promise<TokenResponse> {
  if (!input.code) throw invalidRequest('Missing required parameter: code.');
  const code = await findOAuthAuthorizationCodeByDigest(deps.db, deps.digester.digest(input.code));
  const grant = code && (await findOAuthGrantById(deps.db, code.grant_id));
  if (!code || !grant || grant.application_id !== application.id) throw invalidGrant();
  if (code.used_at !== null) {
    await revokeGrant(deps, actor, grant, 'authorization_code_reuse');
    throw invalidGrant();
  }
  const now = isoNow(deps.clock);
  if (code.expires_at <= now || grant.revoked_at !== null) throw invalidGrant();
  if (code.redirect_uri !== '') {
    if (!input.redirectUri) throw invalidRequest('Missing required parameter: redirect_uri.');
    if (input.redirectUri !== code.redirect_uri) throw invalidGrant();
  } else if (input.redirectUri && !storedList(application.redirect_uris).includes(input.redirectUri)) {
    throw invalidGrant();
  }
  checkPkce(code.code_challenge, input.codeVerifier);
  const user = await findUserById(deps.db, grant.user_id);
  if (!user || user.state !== 'active') throw invalidGrant();

  const scopes = storedScopes(grant.scopes);
  const issued = await inTransaction(deps.db, async (trx) => {
    // Two requests racing with one code: only the one that marks it used gets tokens.
    if (!(await markOAuthAuthorizationCodeUsed(trx, code.id, now))) throw invalidGrant();
    return issueTokenPair(trx, deps, actor, grant, { scopes, refresh: true, via: 'authorization_code' });
  });
  countIssuedOAuthToken(deps);
  const idToken = scopes.includes('openid')
    ? await signIdToken(deps, user, application.uid, {
        scopes,
        nonce: code.nonce,
        authTime: grant.auth_time,
        accessToken: issued.accessToken,
      })
    : undefined;
  return tokenResponse(issued, idToken);
}

function checkPkce(challenge: string | null, verifier: string | undefined): void {
  if (challenge === null) {
    // A verifier for a code that had no challenge means the two requests do not belong together.
    if (verifier !== undefined)
      throw invalidGrant('The code verifier was sent for a code issued without a code challenge.');
    return;
  }
  if (verifier === undefined) throw invalidRequest('Missing required parameter: code_verifier.');
  if (!verifiesS256(challenge, verifier))
    throw invalidGrant('The code verifier does not match the code challenge.');
}
