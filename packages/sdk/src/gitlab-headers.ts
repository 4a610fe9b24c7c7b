import type { CloudConnectorClaims } from './claims.ts';
import { SdkError } from './errors.ts';

/**
 * The X-Gitlab-* values a request carries next to its token (read from HTTP headers or gRPC metadata).
 *
 * @example
 * ```ts
 * const sent: GitlabHeaders = { realm: req.headers['x-gitlab-realm'], instanceId: req.headers['x-gitlab-instance-id'] };
 * ```
 */
export interface GitlabHeaders {
  realm?: string | undefined;
  instanceId?: string | undefined;
}

/**
 * Refuses a request whose `X-Gitlab-Realm` differs from the token's `gitlab_realm`, or whose
 * `X-Gitlab-Instance-Id` differs from the instance the token names (`gitlab_instance_id` on user
 * tokens, `sub` on instance tokens). A header that is not sent is not checked.
 *
 * @example
 * ```ts
 * checkGitlabHeaders(claims, { realm: 'self-managed', instanceId: 'a1b2…' }); // throws SdkError on mismatch
 * ```
 */
export function checkGitlabHeaders(claims: CloudConnectorClaims, sent: GitlabHeaders): void {
  if (sent.realm !== undefined && sent.realm !== claims.gitlab_realm) {
    throw new SdkError(
      'invalid_token',
      'header_mismatch',
      'the X-Gitlab-Realm header does not match the token',
    );
  }
  const instance = claims.gitlab_instance_id ?? claims.sub;
  if (sent.instanceId !== undefined && sent.instanceId !== instance) {
    throw new SdkError(
      'invalid_token',
      'header_mismatch',
      'the X-Gitlab-Instance-Id header does not match the token',
    );
  }
}

/**
 * The token of an `Authorization: Bearer …` value, or an `invalid_token` error (`missing_token`).
 *
 * @example
 * ```ts
 * const token = bearerToken(request.headers.authorization);
 * ```
 */
export function bearerToken(authorization: string | undefined): string {
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(authorization ?? '');
  if (!match) throw new SdkError('invalid_token', 'missing_token', 'no bearer token was presented');
  return match[1]!;
}
