import type { Principal } from '../identity/principal.ts';

/** Where a request came from, for `last_used` tracking, rate limits and the audit log. */
export interface RequestMeta {
  ip: string | null;
}

/**
 * One kind of opaque token the API accepts. The instance keeps a list of these and hands a presented
 * token to the one whose prefix it carries (GitLab's agnostic token identifier, in spirit).
 */
export interface TokenAuthenticator {
  /** The type prefix without the optional instance prefix, e.g. `glpat-`. */
  readonly prefix: string;
  /** The principal the token stands for, or null when it is unknown, expired or revoked. */
  authenticate(plaintext: string, meta: RequestMeta): Promise<Principal | null>;
}
