import type { DeployToken } from '../../store/schema.ts';
import type { Clock } from '../../util/clock.ts';

/** The scopes a deploy token may carry, as on the platform. */
export const DEPLOY_TOKEN_SCOPES = [
  'read_repository',
  'read_registry',
  'write_registry',
  'read_package_registry',
  'write_package_registry',
  'read_virtual_registry',
  'write_virtual_registry',
] as const;

export type DeployTokenScope = (typeof DEPLOY_TOKEN_SCOPES)[number];

/** The name that makes a deploy token the one CI jobs receive as `CI_DEPLOY_USER`/`CI_DEPLOY_PASSWORD`. */
export const GITLAB_DEPLOY_TOKEN_NAME = 'gitlab-deploy-token';

export type DeployTokenState = 'active' | 'expired' | 'revoked';

/** Revoked wins over expired; a token without `expires_at` never expires. */
export function deployTokenState(
  token: Pick<DeployToken, 'revoked' | 'expires_at'>,
  clock: Clock,
): DeployTokenState {
  if (token.revoked) return 'revoked';
  if (token.expires_at !== null && token.expires_at <= clock.now().toISOString()) return 'expired';
  return 'active';
}

export function deployTokenScopes(token: Pick<DeployToken, 'scopes'>): DeployTokenScope[] {
  const parsed: unknown = JSON.parse(token.scopes);
  return Array.isArray(parsed) ? (parsed.filter((s) => typeof s === 'string') as DeployTokenScope[]) : [];
}

/** The owner of a token row, as a kind and id. */
export function deployTokenOwnerOf(
  token: Pick<DeployToken, 'project_id' | 'group_id'>,
): { kind: 'project'; id: number } | { kind: 'group'; id: number } {
  return token.project_id !== null
    ? { kind: 'project', id: token.project_id }
    : { kind: 'group', id: token.group_id! };
}
