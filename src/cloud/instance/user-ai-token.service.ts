import { forbidden, TesseraError } from '../../errors/tessera-error.ts';
import type { FailureLimiter } from '../../security/rate-limiter.ts';
import { addOnsOfUser } from '../../store/add-on-seats.repository.ts';
import type { User } from '../../store/schema.ts';
import { INSTANCE_KEY_ROLE, type CloudConnectorDeps } from './cloud-connector-deps.ts';
import { globalUserId } from './global-user-id.ts';
import { cloudConnectorState } from './instance-identity.ts';

/** User AI tokens live an hour, as the platform's do. */
export const USER_AI_TOKEN_LIFETIME_SECONDS = 3600;
/** The service the user tokens are for, named in the catalogue; its audience becomes `aud`. */
const AI_GATEWAY_SERVICE = 'ai_gateway';

/** A user AI token and what a client needs to call the gateway with it. */
export interface UserAiToken {
  token: string;
  /** Epoch seconds. */
  expiresAt: number;
  createdAt: number;
  baseUrl: string;
  headers: {
    'X-Gitlab-Instance-Id': string;
    'X-Gitlab-Realm': string;
    'X-Gitlab-Global-User-Id': string;
    'X-Gitlab-Host-Name': string;
  };
}

/**
 * Issues a short user AI token for calling the AI gateway directly, after these steps in order:
 * 1. the per-user rate limit (10 per 5 minutes) — 429;
 * 2. the user holds a seat of an AI add-on — else 403;
 * 3. the instance holds an unexpired instance token (its entitlement) — else 403;
 * 4. scopes = the gateway's unit primitives of the user's add-ons ∩ the instance token's scopes,
 *    not empty — else 403.
 * The token is signed with the instance's own key: `iss` = the instance URL, `aud` =
 * `gitlab-ai-gateway`, `sub` = the global user id, with `gitlab_realm` and `gitlab_instance_id`.
 */
export async function issueUserAiToken(
  deps: CloudConnectorDeps,
  limiter: FailureLimiter,
  user: User,
): Promise<UserAiToken> {
  const limitKey = `ai-token:user:${user.id}`;
  const retryAfter = await limiter.check(limitKey);
  if (retryAfter !== null) {
    throw new TesseraError(
      'rate_limited',
      'This endpoint has been requested too many times. Try again later.',
      {
        retryAfterSeconds: retryAfter,
      },
    );
  }
  await limiter.fail(limitKey);

  const addOns = await addOnsOfUser(deps.db, user.id);
  if (addOns.length === 0) {
    throw forbidden('403 Forbidden - you need a seat of an AI add-on (ask an administrator to assign one)');
  }
  const state = await cloudConnectorState(deps.db, deps.clock);
  const now = deps.clock.now();
  if (state.instance_token_expires_at === null || new Date(state.instance_token_expires_at) <= now) {
    throw forbidden(
      '403 Forbidden - this instance has no valid Cloud Connector access (license not activated, revoked or expired, or not synchronised)',
    );
  }
  const entitled = JSON.parse(state.instance_token_scopes) as string[];
  const scopes = deps.catalogue.primitivesFor(addOns, AI_GATEWAY_SERVICE).filter((s) => entitled.includes(s));
  if (scopes.length === 0) {
    throw forbidden("403 Forbidden - the instance's entitlement covers none of your add-ons' features");
  }

  const realm = deps.settings.realm;
  const userHash = globalUserId(deps.digester, state.instance_uuid, user.id);
  const token = await deps.keys.signJwt(
    INSTANCE_KEY_ROLE,
    { scopes, gitlab_realm: realm, gitlab_instance_id: state.instance_uuid },
    {
      typ: 'JWT',
      audience: deps.catalogue.audienceOf(AI_GATEWAY_SERVICE),
      subject: userHash,
      expiresInSeconds: USER_AI_TOKEN_LIFETIME_SECONDS,
    },
  );
  const createdAt = Math.floor(now.getTime() / 1000);
  return {
    token,
    createdAt,
    expiresAt: createdAt + USER_AI_TOKEN_LIFETIME_SECONDS,
    baseUrl: deps.settings.cloudConnector.aiGatewayUrl,
    headers: {
      'X-Gitlab-Instance-Id': state.instance_uuid,
      'X-Gitlab-Realm': realm,
      'X-Gitlab-Global-User-Id': userHash,
      'X-Gitlab-Host-Name': new URL(deps.settings.externalUrl).hostname,
    },
  };
}
