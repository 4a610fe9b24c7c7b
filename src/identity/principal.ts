import type { User } from '../store/schema.ts';

/** The kinds of credential a request can be authenticated by. Later credential types add theirs here. */
export type CredentialKind =
  | 'session'
  | 'personal_access_token'
  | 'project_access_token'
  | 'group_access_token'
  | 'ci_job_token'
  | 'deploy_token'
  | 'oauth_access_token';

/** Who a request acts as, and through which credential. */
export interface Principal {
  user: User;
  credential: {
    kind: CredentialKind;
    id: number | string;
    /** The credential's scopes; null when it is not scope-limited (a browser session). */
    scopes: readonly string[] | null;
  };
}

/** True when the principal's credential grants at least one of the scopes. */
export function hasAnyScope(principal: Principal, scopes: readonly string[]): boolean {
  const granted = principal.credential.scopes;
  return granted === null || scopes.some((scope) => granted.includes(scope));
}
