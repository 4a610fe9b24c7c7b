import type { CloudConnectorClaims } from './claims.ts';
import { SdkError } from './errors.ts';
import type { SignedToken, UserTokenSigner } from './token-authority.ts';

/**
 * What {@link issueUserToken} needs: who asks (the verified instance token), for which user, and
 * which scopes this service may hand out.
 *
 * @example
 * ```ts
 * const input: UserTokenRequest = { caller: claims, userId: globalUserId, grantableScopes: ['complete_code'] };
 * ```
 */
export interface UserTokenRequest {
  /** Claims of the caller's verified instance token. */
  caller: CloudConnectorClaims;
  /** The user the token is for: its `sub` (GitLab sends a global user id). */
  userId: string;
  /** The service's unit primitives: the token gets the caller's scopes that are also in this list. */
  grantableScopes: readonly string[];
  /** Default: the authority's own name, so only the issuing service accepts the token. */
  audience?: string;
  /** Default: the authority's maximum lifetime. */
  expiresInSeconds?: number;
  extraClaims?: Record<string, unknown>;
}

/**
 * Mints a user-level token from an instance token: `sub` = the user, scopes = the caller's scopes ∩
 * `grantableScopes`, and the caller's instance (`gitlab_instance_id`, from its `sub`) and realm carried
 * along so later requests can be matched against the X-Gitlab-* headers. Refuses with
 * `insufficient_scope` when the intersection is empty: a token that opens nothing is no use to anyone.
 *
 * @example
 * ```ts
 * const { token, expiresAt } = await issueUserToken(authority, {
 *   caller: request.cloudConnector,
 *   userId: request.headers['x-gitlab-global-user-id'] as string,
 *   grantableScopes: ['complete_code', 'generate_code', 'duo_chat'],
 * });
 * ```
 */
export async function issueUserToken(
  authority: Pick<UserTokenSigner, 'issuer' | 'sign'>,
  request: UserTokenRequest,
): Promise<SignedToken> {
  const { caller, grantableScopes } = request;
  const scopes = caller.scopes.filter((scope) => grantableScopes.includes(scope));
  if (scopes.length === 0) {
    throw new SdkError(
      'insufficient_scope',
      'missing_scope',
      'the token grants none of the scopes this service hands out',
      {
        missingScopes: grantableScopes,
      },
    );
  }
  return authority.sign({
    subject: request.userId,
    audience: request.audience ?? authority.issuer,
    scopes,
    expiresInSeconds: request.expiresInSeconds,
    extraClaims: {
      ...request.extraClaims,
      gitlab_realm: caller.gitlab_realm,
      gitlab_instance_id: caller.gitlab_instance_id ?? caller.sub,
    },
  });
}
