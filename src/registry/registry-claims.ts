import type { RegistryAction } from './registry-scope.ts';

/** One entry of a registry token's `access` claim. */
export interface RegistryAccess {
  type: string;
  name: string;
  actions: RegistryAction[];
}

/** What a caller may do on one repository; `*` is all three. */
export interface RegistryAbility {
  pull: boolean;
  push: boolean;
  delete: boolean;
}

export const NO_ABILITY: RegistryAbility = { pull: false, push: false, delete: false };

/**
 * The requested actions the ability allows. Per the spec, what is not allowed is left out rather than
 * refused: the registry then answers the client 401/403 for exactly that action.
 *
 * @example
 * grantedActions(['pull', 'push'], { pull: true, push: false, delete: false }) // ['pull']
 */
export function grantedActions(
  requested: readonly RegistryAction[],
  ability: RegistryAbility,
): RegistryAction[] {
  return requested.filter((action) =>
    action === '*' ? ability.pull && ability.push && ability.delete : ability[action],
  );
}

/**
 * The `access` claim: entries with at least one action, the same resource asked twice merged into one.
 *
 * @example
 * registryAccessClaim([{ type: 'repository', name: 'g/app', actions: ['pull'] }, { type: 'repository', name: 'g/app', actions: [] }])
 * // [{ type: 'repository', name: 'g/app', actions: ['pull'] }]
 */
export function registryAccessClaim(grants: readonly RegistryAccess[]): RegistryAccess[] {
  const merged = new Map<string, RegistryAccess>();
  for (const grant of grants) {
    if (grant.actions.length === 0) continue;
    const key = `${grant.type}\u0000${grant.name}`;
    const entry = merged.get(key);
    if (!entry) merged.set(key, { type: grant.type, name: grant.name, actions: [...grant.actions] });
    else for (const action of grant.actions) if (!entry.actions.includes(action)) entry.actions.push(action);
  }
  return [...merged.values()];
}

/** The token service's answer, in the shape docker, skopeo and the spec expect. */
export interface RegistryTokenResponse {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
}

export function registryTokenResponse(
  token: string,
  lifetimeSeconds: number,
  issuedAt: Date,
): RegistryTokenResponse {
  return { token, access_token: token, expires_in: lifetimeSeconds, issued_at: issuedAt.toISOString() };
}
