import type { DeployToken } from '../../store/schema.ts';
import { deployTokenScopes } from '../../tokens/deploy/deploy-token-state.ts';
import type { Clock } from '../../util/clock.ts';

/** A deploy token in the platform's v4 shape. */
export interface DeployTokenBody {
  id: number;
  name: string;
  username: string;
  expires_at: string | null;
  revoked: boolean;
  expired: boolean;
  scopes: string[];
  /** Only in the answer to create and rotate: the one time the secret is shown. */
  token?: string;
}

/**
 * The v4 body of a deploy token. `plaintext` is passed only by create and rotate; every other answer
 * is built without it, so a listing can never carry a secret.
 */
export function presentDeployToken(token: DeployToken, clock: Clock, plaintext?: string): DeployTokenBody {
  const body: DeployTokenBody = {
    id: token.id,
    name: token.name,
    username: token.username,
    expires_at: token.expires_at,
    revoked: token.revoked === 1,
    // Independent of revocation, as on the platform.
    expired: token.expires_at !== null && token.expires_at <= clock.now().toISOString(),
    scopes: deployTokenScopes(token),
  };
  if (plaintext !== undefined) body.token = plaintext;
  return body;
}

/** A token in an expiry listing: the v4 body plus whose it is. */
export function presentExpiringDeployToken(
  token: DeployToken,
  clock: Clock,
): DeployTokenBody & { project_id: number | null; group_id: number | null } {
  return { ...presentDeployToken(token, clock), project_id: token.project_id, group_id: token.group_id };
}
