import { badRequest } from '../../errors/tessera-error.ts';

/** Who a scope may be granted to. */
type Grantable = 'everyone' | 'people' | 'admins';

interface ScopeDefinition {
  description: string;
  grantable: Grantable;
}

/**
 * Every scope an access token can carry, as the platform names them. `people` scopes are refused to
 * project and group bots (a bot has no profile worth reading); `admins` scopes only go to a token of an
 * administrator, and never to a bot.
 */
export const ACCESS_TOKEN_SCOPES = {
  api: { description: 'Full read and write access to the API', grantable: 'everyone' },
  read_api: { description: 'Read access to the API', grantable: 'everyone' },
  read_user: { description: "Read the owner's profile through /user and /users", grantable: 'people' },
  read_repository: { description: 'Clone and pull repositories over HTTP', grantable: 'everyone' },
  write_repository: { description: 'Push to repositories over HTTP', grantable: 'everyone' },
  read_registry: { description: 'Pull container images', grantable: 'everyone' },
  write_registry: { description: 'Push container images', grantable: 'everyone' },
  ai_features: { description: 'Use AI features (code suggestions, chat)', grantable: 'everyone' },
  create_runner: { description: 'Create runners', grantable: 'everyone' },
  manage_runner: { description: 'Manage runners', grantable: 'everyone' },
  k8s_proxy: { description: 'Call the Kubernetes API through the agent', grantable: 'everyone' },
  self_rotate: { description: 'Rotate this token itself', grantable: 'everyone' },
  sudo: { description: 'Act as another user (administrators)', grantable: 'admins' },
  admin_mode: {
    description: 'Use administrator powers through the API (administrators)',
    grantable: 'admins',
  },
} as const satisfies Record<string, ScopeDefinition>;

export type AccessTokenScope = keyof typeof ACCESS_TOKEN_SCOPES;

/** Who the token is for: a person (admin or not) or a project/group bot. */
export type ScopeAudience = { kind: 'person'; isAdmin: boolean } | { kind: 'bot' };

/** The scopes a token for this audience may carry, in catalogue order. */
export function grantableScopes(audience: ScopeAudience): AccessTokenScope[] {
  return (Object.keys(ACCESS_TOKEN_SCOPES) as AccessTokenScope[]).filter((scope) => {
    const { grantable } = ACCESS_TOKEN_SCOPES[scope] as ScopeDefinition;
    if (grantable === 'everyone') return true;
    if (audience.kind === 'bot') return false;
    return grantable === 'people' || audience.isAdmin;
  });
}

/**
 * The requested scopes, deduplicated, when each is known and allowed for the audience; otherwise a
 * 400 naming `scopes`. At least one is required.
 *
 * @example
 * validateScopes(['api', 'read_user'], { kind: 'person', isAdmin: false }) // ['api', 'read_user']
 */
export function validateScopes(requested: readonly string[], audience: ScopeAudience): AccessTokenScope[] {
  const scopes = [...new Set(requested.map((s) => s.trim()).filter((s) => s.length > 0))];
  if (scopes.length === 0) throw badRequest('scopes', 'is missing');
  const allowed = new Set<string>(grantableScopes(audience));
  const refused = scopes.filter((scope) => !allowed.has(scope));
  if (refused.length > 0) {
    const known = refused.every((scope) => scope in ACCESS_TOKEN_SCOPES);
    throw badRequest('scopes', known ? `not allowed: ${refused.join(', ')}` : `does not have a valid value`);
  }
  return scopes as AccessTokenScope[];
}
