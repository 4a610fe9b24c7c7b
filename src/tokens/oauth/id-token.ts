import type { User } from '../../store/schema.ts';
import type { OAuthDeps } from './oauth-deps.ts';
import { idTokenClaims, type IdTokenContext } from './oidc-claims.ts';

/** GitLab's ID tokens live two minutes: long enough to be checked, short enough to be useless when stolen. */
export const ID_TOKEN_LIFETIME_SECONDS = 120;

/**
 * Signs the ID token of a token response (RS256 or ES256, the instance key's `kid`), for the client as
 * audience and the user's id as subject.
 *
 * @example
 * const idToken = await signIdToken(deps, user, clientId, { scopes, externalUrl, nonce, authTime });
 */
export async function signIdToken(
  deps: OAuthDeps,
  user: User,
  clientId: string,
  context: Omit<IdTokenContext, 'externalUrl'>,
): Promise<string> {
  return deps.keys.signJwt(
    'instance',
    idTokenClaims(user, { ...context, externalUrl: deps.policy.externalUrl }),
    {
      audience: clientId,
      subject: String(user.id),
      expiresInSeconds: ID_TOKEN_LIFETIME_SECONDS,
      typ: 'JWT',
    },
  );
}
