import { PERMISSIONS, type Permission } from '../identity/permission-catalogue.ts';
import { parseRegistryScopes, TooManyScopesError, type RegistryScope } from './registry-scope.ts';

/**
 * The catalogue entry each registry action needs. `*` on a repository is every action at once; on
 * `registry:catalog` it is listing the whole registry.
 */
export const REGISTRY_ACTION_PERMISSIONS = {
  pull: PERMISSIONS.pullContainerImage,
  push: PERMISSIONS.pushContainerImage,
  delete: PERMISSIONS.deleteContainerRepository,
  catalog: PERMISSIONS.readRegistryCatalog,
} as const satisfies Record<string, Permission>;

/** Every permission a registry token request can need, for the route's declaration. */
export const REGISTRY_PERMISSIONS: readonly Permission[] = Object.values(REGISTRY_ACTION_PERMISSIONS);

/**
 * The permissions one requested scope needs; none for a scope the token service grants nothing for
 * (an unknown type).
 *
 * @example
 * permissionsForRegistryScope({ type: 'repository', name: 'g/app', actions: ['pull', 'push'] })
 * // [pull_container_image, push_container_image]
 */
export function permissionsForRegistryScope(scope: RegistryScope): Permission[] {
  if (scope.type === 'registry') return scope.name === 'catalog' ? [REGISTRY_ACTION_PERMISSIONS.catalog] : [];
  if (scope.type !== 'repository') return [];
  const actions = scope.actions.includes('*') ? (['pull', 'push', 'delete'] as const) : scope.actions;
  return actions.flatMap((action) => (action === '*' ? [] : [REGISTRY_ACTION_PERMISSIONS[action]]));
}

/**
 * The permissions a `scope` query parameter asks for, each once. A parameter the token service
 * refuses as a whole (too many scopes) needs none here: the request ends in a 400 anyway.
 */
export function permissionsForRegistryRequest(scopeParam: unknown): Permission[] {
  let scopes: RegistryScope[];
  try {
    scopes = parseRegistryScopes(scopeParam);
  } catch (error) {
    if (error instanceof TooManyScopesError) return [];
    throw error;
  }
  return [...new Set(scopes.flatMap(permissionsForRegistryScope))];
}
