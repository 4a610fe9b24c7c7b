import type { User } from '../store/schema.ts';

/** The kinds of credential a request can be authenticated by. Later credential types add theirs here. */
export type CredentialKind =
  | 'session'
  | 'personal_access_token'
  | 'project_access_token'
  | 'group_access_token'
  | 'ci_job_token'
  | 'deploy_token'
  | 'oauth_access_token'
  /** A user's password over HTTP basic (the registry, when the instance allows it). */
  | 'password';

/** Who a request acts as, and through which credential. */
export interface Principal {
  user: User;
  credential: {
    kind: CredentialKind;
    id: number | string;
    /** The credential's scopes; null when it is not scope-limited (a browser session). */
    scopes: readonly string[] | null;
    /**
     * Set when the credential reaches only some projects, whatever its user may do elsewhere (a CI job
     * token: its own project and the projects whose allowlist admits it). Absent: no such limit.
     */
    projectScope?: ProjectScope;
    /**
     * Set for a fine-grained personal access token: it holds catalogue permissions on boundaries
     * instead of scopes (`scopes` is then empty).
     */
    granular?: GranularCredential;
  };
  /**
   * Composite identity: the person a service account's OAuth token acts for (its `user:<id>` scope).
   * `user` is then the service account, and every project and group permission is decided for both
   * (see `identity/composite-identity.ts`). Absent for every other credential.
   */
  scopedUser?: User;
  /**
   * Sudo: the administrator whose token this request came with. `user` is then the user the request
   * acts as; the token's scopes still apply. Absent when the request acts as its token's own user.
   */
  sudoer?: User;
}

/** The projects a credential is limited to; checked on top of the user's own permissions. */
export interface ProjectScope {
  allows(projectId: number): Promise<boolean>;
  /** Whether the credential may write (push images or code) to a project it reaches. */
  writable(projectId: number): boolean;
}

/**
 * A fine-grained token's grants, and whether this request's permissions were found held on the
 * request's target (set by the one check that runs before every handler, git and the registry).
 */
export interface GranularCredential {
  readonly scopes: readonly GranularGrant[];
  admitted: boolean;
}

/** One grant of a fine-grained token (the stored shape of `tokens/access/granular-scopes.ts`). */
export interface GranularGrant {
  readonly access: string;
  readonly permissions: readonly string[];
  readonly project_id: number | null;
  readonly group_id: number | null;
}

/**
 * True when the principal's credential grants at least one of the scopes. A fine-grained token has no
 * scopes: it passes a route's scope check only once the granular check admitted this request, so a
 * route the check did not cover (an exempt one) refuses it.
 */
export function hasAnyScope(principal: Principal, scopes: readonly string[]): boolean {
  if (principal.credential.granular) return principal.credential.granular.admitted;
  const granted = principal.credential.scopes;
  return granted === null || scopes.some((scope) => granted.includes(scope));
}
