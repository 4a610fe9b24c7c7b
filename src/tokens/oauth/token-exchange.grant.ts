import { createLocalJWKSet, jwtVerify } from 'jose';
import type { Actor } from '../../audit/audit-log.ts';
import { enforcesCompositeIdentity, isUserScope } from '../../identity/composite-identity.ts';
import type { Principal } from '../../identity/principal.ts';
import { findLatestLiveConsent } from '../../store/oauth-grants.repository.ts';
import type { OAuthApplication } from '../../store/oauth.tables.ts';
import type { User } from '../../store/schema.ts';
import { findUserById } from '../../store/users.repository.ts';
import { issueCompositeToken } from './composite-token.ts';
import { oauthDeps, type OAuthDeps } from './oauth-deps.ts';
import { OAuthError } from './oauth-error.ts';
import { oauthTokenPrincipal } from './oauth-token.authenticator.ts';
import { scopeString, storedScopes } from './oauth-scopes.ts';
import { findPresentedOAuthToken } from './token-revocation.ts';

/*
 * RFC 8693 token exchange, for composite identity: a trusted client (one allowed the dynamic `user:*`
 * scope) trades a person's token (`subject_token`) and a service account's own token (`actor_token`)
 * for an access token that is the service account acting for that person. Every permission check on
 * it must pass for both; its scopes are at most what the person's token held. This is the standard
 * form of what the instance does itself when a remote workflow starts (`issueCompositeToken`).
 */

export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';

/** An exchanged token lives at most this long, and never longer than the subject token it came from. */
const MAX_EXCHANGED_LIFETIME_SECONDS = 3600;

export interface TokenExchangeRequest {
  subjectToken?: string;
  subjectTokenType?: string;
  actorToken?: string;
  actorTokenType?: string;
  requestedTokenType?: string;
  scopes?: string[];
  audience?: string[];
}

/** The answer of RFC 8693 §2.2.1. */
export interface TokenExchangeResponse {
  access_token: string;
  issued_token_type: typeof ACCESS_TOKEN_TYPE;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/** The person a subject token stands for, what it may hand on, and for how long. */
interface Subject {
  user: User;
  scopes: string[];
  remainingSeconds: number;
}

const refused = (description: string) => new OAuthError('invalid_request', description);

/**
 * Exchanges the subject and actor tokens for a composite access token of `application`.
 * `authenticateActor` turns the actor token into its principal with the instance's authenticators
 * (a service account's personal access token or OAuth token), or null.
 *
 * @example
 * await exchangeToken(context, actor, application, request, (token) => authenticate(token));
 */
export async function exchangeToken(
  context: Parameters<typeof issueCompositeToken>[0],
  actor: Actor,
  application: OAuthApplication,
  request: TokenExchangeRequest,
  authenticateActor: (token: string) => Promise<Principal | null>,
): Promise<TokenExchangeResponse> {
  const deps = oauthDeps(context);
  if (application.dynamic_user_scope !== 1 || application.confidential !== 1) {
    throw new OAuthError('unauthorized_client', 'The client is not allowed to exchange tokens.');
  }
  if (request.requestedTokenType !== undefined && request.requestedTokenType !== ACCESS_TOKEN_TYPE) {
    throw refused('Only access tokens can be requested.');
  }
  for (const audience of request.audience ?? []) {
    if (audience !== deps.policy.externalUrl) {
      throw new OAuthError('invalid_target', 'The audience is not one this server issues for.');
    }
  }
  if (!request.subjectToken || !request.subjectTokenType) {
    throw refused('Missing required parameter: subject_token or subject_token_type.');
  }
  if (!request.actorToken || request.actorTokenType !== ACCESS_TOKEN_TYPE) {
    throw refused('An actor_token of type access_token is required: the service account that will act.');
  }

  const subject = await subjectOf(deps, application, request.subjectToken, request.subjectTokenType);
  const acting = await authenticateActor(request.actorToken);
  const serviceAccount = acting?.user;
  if (
    !acting ||
    acting.scopedUser ||
    !serviceAccount ||
    !enforcesCompositeIdentity(serviceAccount) ||
    serviceAccount.state !== 'active'
  ) {
    throw refused('The actor_token is not an active service account with composite identity enforced.');
  }

  const requested = request.scopes ?? subject.scopes;
  const beyond = requested.filter((scope) => isUserScope(scope) || !subject.scopes.includes(scope));
  if (requested.length === 0 || beyond.length > 0) {
    throw new OAuthError('invalid_scope', 'The scope may only narrow what the subject token holds.');
  }
  const lifetime = Math.min(MAX_EXCHANGED_LIFETIME_SECONDS, subject.remainingSeconds);
  const issued = await issueCompositeToken(context, {
    serviceAccount,
    user: subject.user,
    scopes: [...requested, `user:${subject.user.id}`],
    expiresInSeconds: lifetime,
    applicationId: application.id,
    actor,
    via: 'token_exchange',
  });
  return {
    access_token: issued.accessToken,
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: 'Bearer',
    expires_in: lifetime,
    scope: scopeString(issued.scopes),
  };
}

async function subjectOf(
  deps: OAuthDeps,
  application: OAuthApplication,
  token: string,
  type: string,
): Promise<Subject> {
  const now = deps.clock.now().getTime();
  if (type === ACCESS_TOKEN_TYPE) {
    const found = await findPresentedOAuthToken(deps, token);
    const principal = found?.type === 'access_token' ? await oauthTokenPrincipal(deps, found) : null;
    if (!found || !principal) throw refused('The subject_token is not an active access token.');
    // A composite token already acts for someone: exchanging it again would chain actors.
    if (principal.scopedUser || found.grant.flow === 'composite') {
      throw refused('A composite token cannot be exchanged again.');
    }
    return person(principal.user, storedScopes(found.token.scopes), Date.parse(found.token.expires_at) - now);
  }
  if (type === ID_TOKEN_TYPE) {
    // An ID token says who the person is, not what they allowed: the exchange may hand on only what
    // they consented to for this client, in their newest live grant.
    const keys = createLocalJWKSet(await deps.keys.jwks('instance'));
    const verified = await jwtVerify(token, keys, {
      algorithms: ['RS256', 'ES256'],
      issuer: deps.policy.externalUrl,
      audience: application.uid,
      clockTolerance: 5,
      requiredClaims: ['sub', 'aud', 'exp', 'iat'],
    }).catch(() => {
      throw refused('The subject_token is not a valid ID token of this issuer for this client.');
    });
    const userId = /^\d{1,15}$/.test(verified.payload.sub ?? '') ? Number(verified.payload.sub) : NaN;
    const user = Number.isSafeInteger(userId) ? await findUserById(deps.db, userId) : undefined;
    const consent = user ? await findLatestLiveConsent(deps.db, application.id, user.id) : undefined;
    if (!user || !consent) throw refused('The person has not authorized this client.');
    const scopes = storedScopes(consent.scopes).filter((scope) => scope !== 'openid');
    return person(user, scopes, verified.payload.exp! * 1000 - now);
  }
  throw refused('The subject_token_type is not supported.');
}

function person(user: User, scopes: string[], remainingMs: number): Subject {
  if (user.state !== 'active' || user.bot_kind !== null) {
    throw refused('The subject is not an active person.');
  }
  const remainingSeconds = Math.floor(remainingMs / 1000);
  if (remainingSeconds < 1) throw refused('The subject_token has expired.');
  return { user, scopes: scopes.filter((scope) => !isUserScope(scope)), remainingSeconds };
}
