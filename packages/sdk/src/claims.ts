import type { JWTPayload } from 'jose';
import { SdkError } from './errors.ts';

/**
 * The claims of a verified Cloud Connector token (an instance token or a user-level token).
 *
 * Instance tokens name the instance in `sub`; user tokens name the user in `sub` and carry the
 * instance in `gitlab_instance_id`, which is why header checks prefer that claim.
 *
 * @example
 * ```ts
 * const claims: CloudConnectorClaims = await verifier.verify(token);
 * if (claims.scopes.includes('duo_chat')) { … }
 * ```
 */
export interface CloudConnectorClaims extends JWTPayload {
  iss: string;
  aud: string | string[];
  exp: number;
  /** Unit primitives the token grants. */
  scopes: readonly string[];
  /** `saas` or `self-managed`. */
  gitlab_realm?: string;
  /** On user tokens: the instance the user belongs to. */
  gitlab_instance_id?: string;
}

/** How several required scopes combine: the token needs all of them, or any one. */
export type ScopeMatch = 'all' | 'any';

/**
 * Throws `insufficient_scope` naming what is missing, or returns when `granted` satisfies `required`.
 * An empty `required` list is always satisfied.
 *
 * @example
 * ```ts
 * requireScopes(claims.scopes, ['duo_agent_platform', 'duo_workflow_generate_token'], 'any');
 * ```
 */
export function requireScopes(
  granted: readonly string[],
  required: readonly string[],
  match: ScopeMatch = 'all',
): void {
  if (required.length === 0) return;
  const missing = required.filter((scope) => !granted.includes(scope));
  const satisfied = match === 'all' ? missing.length === 0 : missing.length < required.length;
  if (satisfied) return;
  const message =
    match === 'all' || missing.length === 1
      ? `the token lacks the scope ${missing.join(', ')}`
      : `the token needs one of the scopes ${missing.join(', ')}`;
  throw new SdkError('insufficient_scope', 'missing_scope', message, { missingScopes: missing });
}

/** Checks the claims jose does not know about, so every later reader can trust their types. */
export function assertCloudConnectorClaims(payload: JWTPayload): CloudConnectorClaims {
  const { scopes, gitlab_realm: realm, gitlab_instance_id: instanceId } = payload;
  if (!Array.isArray(scopes) || !scopes.every((scope) => typeof scope === 'string')) {
    throw new SdkError(
      'invalid_token',
      'invalid_claims',
      'the token\'s "scopes" claim must be an array of strings',
    );
  }
  if (realm !== undefined && typeof realm !== 'string') {
    throw new SdkError(
      'invalid_token',
      'invalid_claims',
      'the token\'s "gitlab_realm" claim must be a string',
    );
  }
  if (instanceId !== undefined && typeof instanceId !== 'string') {
    throw new SdkError(
      'invalid_token',
      'invalid_claims',
      'the token\'s "gitlab_instance_id" claim must be a string',
    );
  }
  // jose has already checked that iss, aud and exp are present and well-typed. The payload is the
  // object jose just parsed for this call alone, so it is frozen in place rather than copied.
  Object.freeze(scopes);
  return Object.freeze(payload) as CloudConnectorClaims;
}
