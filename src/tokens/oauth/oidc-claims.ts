import { createHash } from 'node:crypto';
import type { User } from '../../store/schema.ts';

/*
 * The OpenID Connect claims of the instance's users, as pure functions: what `GET /oauth/userinfo`
 * answers and what an ID token carries besides the registered claims (`iss`, `aud`, `exp`, … are set
 * by the signer).
 */

export type OidcUser = Pick<User, 'id' | 'username' | 'name' | 'email'>;

/**
 * The userinfo claims for the scopes a token carries: the profile always (it is what `openid` shares
 * on the platform), `email` and `email_verified` only with the `email` scope.
 *
 * @example
 * userinfoClaims(alice, ['openid'], 'https://tessera.example').preferred_username; // 'alice'
 */
export function userinfoClaims(
  user: OidcUser,
  scopes: readonly string[],
  externalUrl: string,
): Record<string, unknown> {
  return {
    sub: String(user.id),
    name: user.name,
    nickname: user.username,
    preferred_username: user.username,
    profile: `${externalUrl}/${user.username}`,
    website: '',
    ...(scopes.includes('email') ? { email: user.email, email_verified: true } : {}),
  };
}

export interface IdTokenContext {
  scopes: readonly string[];
  externalUrl: string;
  /** The `nonce` of the authorization request, echoed so the client can bind the token to its session. */
  nonce?: string | null;
  /** When the user authenticated (ISO time); becomes `auth_time` in seconds. */
  authTime?: string | null;
  /** The access token issued with the ID token: its `at_hash` binds the two (OIDC Core §3.1.3.6). */
  accessToken?: string;
}

/**
 * The ID token's own claims (without `sub`, `aud`, `iss`, `iat`, `exp`, which the signer sets).
 *
 * @example
 * idTokenClaims(alice, { scopes: ['openid'], externalUrl, nonce: 'n-0S6_WzA2Mj' }).nonce; // 'n-0S6_WzA2Mj'
 */
export function idTokenClaims(user: OidcUser, context: IdTokenContext): Record<string, unknown> {
  const { sub: _sub, ...profile } = userinfoClaims(user, context.scopes, context.externalUrl);
  return {
    ...profile,
    ...(context.nonce ? { nonce: context.nonce } : {}),
    ...(context.authTime ? { auth_time: Math.floor(new Date(context.authTime).getTime() / 1000) } : {}),
    ...(context.accessToken ? { at_hash: accessTokenHash(context.accessToken) } : {}),
  };
}

/**
 * `at_hash`: the left half of the access token's SHA-256, base64url. SHA-256 because both algorithms
 * the instance signs with (RS256, ES256) use it.
 */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
}
