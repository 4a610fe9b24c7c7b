import type { Digester } from '../../crypto/secrets.ts';

/**
 * `X-Gitlab-Global-User-Id`: a keyed hash of the instance UUID and the user id, so the AI services
 * can tell users apart (rate limits, feedback) without learning who they are or being able to link
 * them across instances. Irreversible without the instance's digest secret; stable for a user.
 *
 * @example
 * globalUserId(digester, '2f1c…', 42); // 'q3Jd…' (43 base64url characters)
 */
export function globalUserId(digester: Digester, instanceUuid: string, userId: number): string {
  return digester.digest(`global-user-id:${instanceUuid}:${userId}`);
}
