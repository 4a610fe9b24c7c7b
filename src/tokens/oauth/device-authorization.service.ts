import { recordAudit, type Actor } from '../../audit/audit-log.ts';
import { TesseraError } from '../../errors/tessera-error.ts';
import type { Executor } from '../../store/database.ts';
import { inTransaction, isUniqueViolation } from '../../store/in-transaction.ts';
import { findOAuthApplicationById } from '../../store/oauth-applications.repository.ts';
import {
  findOAuthDeviceCodeByUserCodeDigest,
  insertOAuthDeviceCode,
  transitionOAuthDeviceCode,
} from '../../store/oauth-device-codes.repository.ts';
import { insertOAuthGrant } from '../../store/oauth-grants.repository.ts';
import type { OAuthApplication, OAuthDeviceCode } from '../../store/oauth.tables.ts';
import type { User } from '../../store/schema.ts';
import { addSeconds, isoNow } from '../../util/clock.ts';
import type { OAuthDeps } from './oauth-deps.ts';
import { grantableScopes, storedScopes } from './oauth-scopes.ts';
import { mintOpaqueCode, mintUserCode, normalizeUserCode } from './oauth-secrets.ts';

/** The device authorization response (RFC 8628 §3.2). */
export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/** Where the person goes to enter the code (GitLab's path). */
export const DEVICE_VERIFICATION_PATH = '/oauth/device';

/**
 * `POST /oauth/authorize_device`: a device code for the device to poll with and a short user code for
 * the person to type at the verification URI. Both are stored only as digests.
 *
 * @example
 * const { user_code, verification_uri } = await startDeviceAuthorization(deps, application, ['api']);
 */
export async function startDeviceAuthorization(
  deps: OAuthDeps,
  application: OAuthApplication,
  requested: readonly string[] | undefined,
): Promise<DeviceAuthorization> {
  const scopes = grantableScopes(application, requested);
  const { deviceCodeLifetimeSeconds: lifetime, devicePollIntervalSeconds: interval } = deps.policy;
  const now = deps.clock.now();
  const deviceCode = mintOpaqueCode();
  // A user code is short: on the rare collision with a live one, draw again.
  for (let attempt = 0; ; attempt++) {
    const userCode = mintUserCode();
    try {
      await insertOAuthDeviceCode(deps.db, {
        application_id: application.id,
        digest: deps.digester.digest(deviceCode),
        user_code_digest: deps.digester.digest(normalizeUserCode(userCode)),
        scopes: JSON.stringify(scopes),
        status: 'pending',
        interval_seconds: interval,
        last_polled_at: null,
        user_id: null,
        grant_id: null,
        created_at: now.toISOString(),
        expires_at: addSeconds(now, lifetime).toISOString(),
      });
    } catch (error) {
      if (isUniqueViolation(error) && attempt < 3) continue;
      throw error;
    }
    const verificationUri = `${deps.policy.externalUrl}${DEVICE_VERIFICATION_PATH}`;
    return {
      device_code: deviceCode,
      user_code: userCode,
      verification_uri: verificationUri,
      verification_uri_complete: `${verificationUri}?user_code=${encodeURIComponent(userCode)}`,
      expires_in: lifetime,
      interval,
    };
  }
}

/** A pending device authorization as the person sees it before deciding. */
export interface PendingDeviceAuthorization {
  deviceCode: OAuthDeviceCode;
  application: OAuthApplication;
  scopes: string[];
}

/** Wrong user codes a person may type per window before the page makes them wait. */
const limiterKey = (user: User) => `oauth-device:user:${user.id}`;

/**
 * The pending device authorization a typed user code names, or null (unknown, expired, already
 * decided). Wrong codes count against the person: the code is short, so guessing is rate limited.
 */
export async function findPendingDeviceAuthorization(
  deps: OAuthDeps,
  user: User,
  typedUserCode: string,
): Promise<PendingDeviceAuthorization | null> {
  const retryAfter = await deps.limiter.check(limiterKey(user));
  if (retryAfter !== null) {
    throw new TesseraError('rate_limited', 'Too many wrong codes. Retry later.', {
      retryAfterSeconds: retryAfter,
    });
  }
  const normalized = normalizeUserCode(typedUserCode);
  const found = normalized
    ? await findOAuthDeviceCodeByUserCodeDigest(deps.db, deps.digester.digest(normalized))
    : undefined;
  const application = found && (await findOAuthApplicationById(deps.db, found.application_id));
  if (!found || !application || found.status !== 'pending' || found.expires_at <= isoNow(deps.clock)) {
    await deps.limiter.fail(limiterKey(user));
    return null;
  }
  return { deviceCode: found, application, scopes: storedScopes(found.scopes) };
}

/**
 * The person's decision on a device authorization. Approving creates the grant the device's next poll
 * redeems; denying makes that poll `access_denied`. Audited either way. Returns null when the code is
 * no longer pending (so a decision cannot be changed, nor two decisions both win).
 */
export async function decideDeviceAuthorization(
  deps: OAuthDeps,
  actor: Actor,
  user: User,
  typedUserCode: string,
  decision: 'approve' | 'deny',
  authTime: string | null,
): Promise<PendingDeviceAuthorization | null> {
  const pending = await findPendingDeviceAuthorization(deps, user, typedUserCode);
  if (!pending) return null;
  const { deviceCode, application } = pending;
  const decided = await inTransaction(deps.db, async (trx) => {
    if (decision === 'deny') {
      if (
        !(await transitionOAuthDeviceCode(trx, deviceCode.id, 'pending', {
          status: 'denied',
          user_id: user.id,
        }))
      ) {
        return false;
      }
    } else {
      const grant = await insertOAuthGrant(trx, {
        application_id: application.id,
        user_id: user.id,
        scopes: deviceCode.scopes,
        flow: 'device_code',
        workflow_id: null,
        auth_time: authTime,
        created_at: isoNow(deps.clock),
        revoked_at: null,
        revoked_reason: null,
      });
      const moved = await transitionOAuthDeviceCode(trx, deviceCode.id, 'pending', {
        status: 'approved',
        user_id: user.id,
        grant_id: grant.id,
      });
      // Lost the race: roll the grant back with the transaction.
      if (!moved) throw new DecisionRaceLost();
    }
    await auditDecision(trx, deps, actor, user, pending, decision);
    return true;
  }).catch((error: unknown) => {
    if (error instanceof DecisionRaceLost) return false;
    throw error;
  });
  return decided ? pending : null;
}

class DecisionRaceLost extends Error {}

async function auditDecision(
  trx: Executor,
  deps: OAuthDeps,
  actor: Actor,
  user: User,
  pending: PendingDeviceAuthorization,
  decision: 'approve' | 'deny',
): Promise<void> {
  await recordAudit(trx, deps.clock, actor, {
    action:
      decision === 'approve' ? 'oauth_device_authorization.approved' : 'oauth_device_authorization.denied',
    entity: { type: 'User', id: user.id },
    target: { type: 'OAuthApplication', id: pending.application.id, details: pending.application.name },
    details: { application_id: pending.application.uid, scopes: pending.scopes },
  });
}
