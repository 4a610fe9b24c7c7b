import { createLocalJWKSet, jwtVerify } from 'jose';
import { badRequest } from '../../errors/tessera-error.ts';
import { findOAuthApplicationByUid } from '../../store/oauth-applications.repository.ts';
import type { OAuthApplication } from '../../store/oauth.tables.ts';
import type { OAuthDeps } from './oauth-deps.ts';
import { storedList } from './oauth-scopes.ts';

/*
 * OpenID Connect RP-Initiated Logout 1.0: a relying party sends the browser to the end-session
 * endpoint with the ID token it holds (`id_token_hint`), where to come back afterwards
 * (`post_logout_redirect_uri`, which must be one the application registered) and its `state`.
 */

/** What the relying party sent, as the transport read it. */
export interface EndSessionRequest {
  idTokenHint?: string;
  postLogoutRedirectUri?: string;
  state?: string;
  clientId?: string;
}

/** What the request asks, checked: whose session it names (if a hint came) and where to go afterwards. */
export interface EndSessionPlan {
  /** The user the ID token was issued to; null without a hint. */
  hintedUserId: number | null;
  application: OAuthApplication | null;
  /** The registered URI to return to, with `state`; null: show the signed-out page. */
  redirectTo: string | null;
}

/**
 * Checks a logout request. The hint must be an ID token this issuer signed, for the named client; it
 * may have expired (ID tokens live two minutes, sessions far longer), but not by more than the longest
 * session lasts, since an older one can name no session that is still open.
 */
export async function planEndSession(
  deps: OAuthDeps,
  request: EndSessionRequest,
  longestSessionSeconds: number,
): Promise<EndSessionPlan> {
  let hintedUserId: number | null = null;
  let clientId = request.clientId;
  if (request.idTokenHint) {
    const keys = createLocalJWKSet(await deps.keys.jwks('instance'));
    const verified = await jwtVerify(request.idTokenHint, keys, {
      algorithms: ['RS256', 'ES256'],
      issuer: deps.policy.externalUrl,
      ...(clientId ? { audience: clientId } : {}),
      clockTolerance: longestSessionSeconds,
      requiredClaims: ['sub', 'aud', 'exp'],
    }).catch(() => {
      throw badRequest('id_token_hint', 'is not an ID token of this issuer for this client');
    });
    const audience = verified.payload.aud;
    const audiences = Array.isArray(audience) ? audience : [audience];
    if (!clientId) {
      if (audiences.length !== 1) throw badRequest('client_id', 'is missing');
      clientId = audiences[0];
    }
    hintedUserId = /^\d{1,15}$/.test(verified.payload.sub ?? '') ? Number(verified.payload.sub) : null;
  }
  const application = clientId ? ((await findOAuthApplicationByUid(deps.db, clientId)) ?? null) : null;
  if (clientId && !application) throw badRequest('client_id', 'is not a registered application');
  let redirectTo: string | null = null;
  if (request.postLogoutRedirectUri) {
    if (!application || !storedList(application.redirect_uris).includes(request.postLogoutRedirectUri)) {
      throw badRequest('post_logout_redirect_uri', 'is not registered for this application');
    }
    const target = new URL(request.postLogoutRedirectUri);
    if (request.state) target.searchParams.set('state', request.state);
    redirectTo = target.toString();
  }
  return { hintedUserId, application, redirectTo };
}
