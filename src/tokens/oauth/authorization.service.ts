import { recordAudit, type Actor } from '../../audit/audit-log.ts';
import { inTransaction } from '../../store/in-transaction.ts';
import { insertOAuthAuthorizationCode, insertOAuthGrant } from '../../store/oauth-grants.repository.ts';
import { findSessionById } from '../../store/sessions.repository.ts';
import type { User } from '../../store/schema.ts';
import { addSeconds } from '../../util/clock.ts';
import type { ValidAuthorizationRequest } from './authorization-request.ts';
import type { OAuthDeps } from './oauth-deps.ts';
import { mintOpaqueCode } from './oauth-secrets.ts';

/** Codes are single use and short: ten minutes at most, as RFC 6749 §4.1.2 recommends. */
export const AUTHORIZATION_CODE_LIFETIME_SECONDS = 600;

/**
 * The user's consent (or a trusted application's implicit one): a grant and its authorization code,
 * bound to the redirect URI, the PKCE challenge and the nonce, with the audit event. Returns the code.
 *
 * @example
 * const code = await approveAuthorization(deps, actor, user, check.request, session.created_at);
 */
export async function approveAuthorization(
  deps: OAuthDeps,
  actor: Actor,
  user: User,
  request: ValidAuthorizationRequest,
  authTime: string | null,
): Promise<string> {
  const code = mintOpaqueCode();
  const now = deps.clock.now();
  await inTransaction(deps.db, async (trx) => {
    const grant = await insertOAuthGrant(trx, {
      application_id: request.application.id,
      user_id: user.id,
      scopes: JSON.stringify(request.scopes),
      flow: 'authorization_code',
      workflow_id: null,
      auth_time: authTime,
      created_at: now.toISOString(),
      revoked_at: null,
      revoked_reason: null,
    });
    await insertOAuthAuthorizationCode(trx, {
      grant_id: grant.id,
      digest: deps.digester.digest(code),
      // Empty: the request named none, so the token request need not either (RFC 6749 §4.1.3).
      redirect_uri: request.redirectUriAsked ? request.redirectUri : '',
      code_challenge: request.codeChallenge ?? null,
      code_challenge_method: request.codeChallenge === undefined ? null : 'S256',
      nonce: request.nonce ?? null,
      created_at: now.toISOString(),
      expires_at: addSeconds(now, AUTHORIZATION_CODE_LIFETIME_SECONDS).toISOString(),
      used_at: null,
    });
    await recordAudit(trx, deps.clock, actor, {
      action: 'oauth_application.authorized',
      entity: { type: 'User', id: user.id },
      target: { type: 'OAuthApplication', id: request.application.id, details: request.application.name },
      details: {
        grant_id: grant.id,
        application_id: request.application.uid,
        scopes: request.scopes,
        trusted: request.application.trusted === 1,
      },
    });
  });
  return code;
}

/**
 * When the person behind a session signed in (OIDC `auth_time`); null when the principal did not come
 * from a session.
 */
export async function sessionAuthTime(
  deps: OAuthDeps,
  sessionId: string | number | undefined,
): Promise<string | null> {
  if (typeof sessionId !== 'string') return null;
  return (await findSessionById(deps.db, sessionId))?.created_at ?? null;
}
