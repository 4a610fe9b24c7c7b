import type { Actor } from '../../audit/audit-log.ts';
import { inTransaction } from '../../store/in-transaction.ts';
import {
  findOAuthDeviceCodeByDigest,
  recordOAuthDevicePoll,
  transitionOAuthDeviceCode,
} from '../../store/oauth-device-codes.repository.ts';
import { findOAuthGrantById } from '../../store/oauth-grants.repository.ts';
import type { OAuthApplication } from '../../store/oauth.tables.ts';
import { findUserById } from '../../store/users.repository.ts';
import { signIdToken } from './id-token.ts';
import type { OAuthDeps } from './oauth-deps.ts';
import { invalidGrant, invalidRequest, OAuthError } from './oauth-error.ts';
import { storedScopes } from './oauth-scopes.ts';
import { countIssuedOAuthToken, issueTokenPair, tokenResponse, type TokenResponse } from './token-issuer.ts';

/** The grant type of RFC 8628 §3.4. */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/** How much a device that polls too fast must slow down, per RFC 8628 §3.5. */
const SLOW_DOWN_SECONDS = 5;

/**
 * `grant_type=urn:ietf:params:oauth:grant-type:device_code`: the device's poll. Too early after the
 * last poll → `slow_down` (and the interval grows by 5 s); expired → `expired_token`; still waiting →
 * `authorization_pending`; denied → `access_denied`; approved → the tokens, exactly once.
 */
export async function redeemDeviceCode(
  deps: OAuthDeps,
  actor: Actor,
  application: OAuthApplication,
  presented: string | undefined,
): Promise<TokenResponse> {
  if (!presented) throw invalidRequest('Missing required parameter: device_code.');
  const deviceCode = await findOAuthDeviceCodeByDigest(deps.db, deps.digester.digest(presented));
  if (!deviceCode || deviceCode.application_id !== application.id) throw invalidGrant();
  const now = deps.clock.now();
  if (deviceCode.expires_at <= now.toISOString()) {
    throw new OAuthError(
      'expired_token',
      'The device code has expired; start the device authorization again.',
    );
  }
  if (deviceCode.status === 'redeemed') throw invalidGrant();
  const sinceLastPoll =
    deviceCode.last_polled_at === null
      ? Infinity
      : now.getTime() - new Date(deviceCode.last_polled_at).getTime();
  if (sinceLastPoll < deviceCode.interval_seconds * 1000) {
    const interval = deviceCode.interval_seconds + SLOW_DOWN_SECONDS;
    await recordOAuthDevicePoll(deps.db, deviceCode.id, now.toISOString(), interval);
    throw new OAuthError(
      'slow_down',
      `Polling too fast: wait at least ${interval} seconds between requests.`,
    );
  }
  await recordOAuthDevicePoll(deps.db, deviceCode.id, now.toISOString(), deviceCode.interval_seconds);
  if (deviceCode.status === 'pending') {
    throw new OAuthError('authorization_pending', 'The user has not yet approved the device authorization.');
  }
  if (deviceCode.status === 'denied')
    throw new OAuthError('access_denied', 'The user denied the device authorization.');

  const grant =
    deviceCode.grant_id === null ? undefined : await findOAuthGrantById(deps.db, deviceCode.grant_id);
  const user = grant && (await findUserById(deps.db, grant.user_id));
  if (!grant || grant.revoked_at !== null || !user || user.state !== 'active') throw invalidGrant();
  const scopes = storedScopes(grant.scopes);
  const issued = await inTransaction(deps.db, async (trx) => {
    if (!(await transitionOAuthDeviceCode(trx, deviceCode.id, 'approved', { status: 'redeemed' }))) {
      throw invalidGrant();
    }
    return issueTokenPair(trx, deps, actor, grant, { scopes, refresh: true, via: 'device_code' });
  });
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
