import type { UnitPrimitiveCatalogue } from '../unit-primitive-catalogue.ts';

/** What an instance token says, before it is signed. */
export interface InstanceTokenClaims {
  /** The backend services' audiences the unit primitives are for. */
  audience: string[];
  /** The unit primitives the add-ons unlock. */
  scopes: string[];
  gitlab_realm: 'self-managed' | 'saas';
}

/**
 * The claims of an instance token for a set of add-ons: every unit primitive any of them unlocks, for
 * the audiences of every service that accepts one of those. `iss`, `sub` (the instance UUID), `iat`,
 * `nbf` (iat − 5 s), `exp` and `jti` are set by the signer.
 *
 * @example
 * instanceTokenClaims(['duo_pro'], catalogue, 'self-managed');
 * // { audience: ['gitlab-ai-gateway'], scopes: ['complete_code', …], gitlab_realm: 'self-managed' }
 */
export function instanceTokenClaims(
  addOns: readonly string[],
  catalogue: UnitPrimitiveCatalogue,
  realm: 'self-managed' | 'saas',
): InstanceTokenClaims {
  const scopes = catalogue.primitivesFor(addOns);
  return { audience: catalogue.audiencesFor(scopes), scopes, gitlab_realm: realm };
}
