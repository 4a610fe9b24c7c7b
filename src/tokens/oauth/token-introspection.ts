import { compositeIdentityOf } from '../../identity/composite-identity.ts';
import type { OAuthApplication } from '../../store/oauth.tables.ts';
import { findUserById } from '../../store/users.repository.ts';
import type { OAuthDeps } from './oauth-deps.ts';
import { oauthTokenPrincipal } from './oauth-token.authenticator.ts';
import { storedScopes, scopeString } from './oauth-scopes.ts';
import { findPresentedOAuthToken } from './token-revocation.ts';

/** RFC 7662 §2.2: `{active: false}` says nothing more, whatever the reason. */
export type Introspection =
  | { active: false }
  | {
      active: true;
      scope: string;
      client_id: string;
      username: string;
      token_type: 'Bearer' | 'refresh_token';
      exp?: number;
      iat: number;
      sub: string;
      /** RFC 8693 §4.1: a composite token's actor, the service account acting for `sub`. */
      act?: { sub: string; username: string };
    };

const INACTIVE = { active: false } as const;
const seconds = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);

/**
 * `POST /oauth/introspect`: what an active token of the calling client is. Anything else — unknown,
 * expired, revoked, spent, its grant or owner gone, another client's — is just inactive.
 *
 * @example
 * await introspectToken(deps, application, accessToken); // { active: true, scope: 'api', client_id, username, … }
 */
export async function introspectToken(
  deps: OAuthDeps,
  application: OAuthApplication,
  plaintext: string | undefined,
): Promise<Introspection> {
  const found = await findPresentedOAuthToken(deps, plaintext);
  if (!found || found.grant.application_id !== application.id) return INACTIVE;
  const { token, grant, type } = found;
  if (token.revoked_at !== null || grant.revoked_at !== null) return INACTIVE;
  // An access token is active exactly when the API would accept it (composite identity included).
  const principal = type === 'access_token' ? await oauthTokenPrincipal(deps, found) : null;
  if (type === 'access_token' && !principal) return INACTIVE;
  const owner = principal?.user ?? (await findUserById(deps.db, grant.user_id));
  if (!owner || owner.state !== 'active') return INACTIVE;
  // A composite token is the person's (`sub`), acted on by the service account (`act`), as RFC 8693 puts it.
  const composite = principal ? compositeIdentityOf(principal.user) : undefined;
  const subject = composite?.scopedUser ?? owner;
  return {
    active: true,
    scope: scopeString(storedScopes(token.scopes)),
    client_id: application.uid,
    username: subject.username,
    token_type: type === 'access_token' ? 'Bearer' : 'refresh_token',
    ...(type === 'access_token' ? { exp: seconds(token.expires_at) } : {}),
    iat: seconds(token.created_at),
    sub: String(subject.id),
    ...(composite
      ? { act: { sub: String(composite.serviceAccount.id), username: composite.serviceAccount.username } }
      : {}),
  };
}
