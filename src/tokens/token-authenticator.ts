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
  /**
   * Whether a refused token is one this instance really issued and that has simply ended (a finished
   * job's token a runner still holds). Such a token is no guess, so it never counts towards a lockout.
   */
  wasIssued?(plaintext: string): Promise<boolean>;
}

/** The authenticator for a token by its type prefix, with or without the instance prefix. */
export function authenticatorFor(
  authenticators: readonly TokenAuthenticator[],
  plaintext: string,
  instancePrefix: string,
): TokenAuthenticator | undefined {
  const bare =
    instancePrefix && plaintext.startsWith(`${instancePrefix}-`)
      ? plaintext.slice(instancePrefix.length + 1)
      : plaintext;
  return authenticators.find((authenticator) => bare.startsWith(authenticator.prefix));
}

/**
 * Whether a refused credential counts as a guess towards brute-force lockout: anything but a token
 * this instance issued that has since ended. One runner's finished jobs must not lock out its address.
 */
export async function countsAsGuess(
  authenticators: readonly TokenAuthenticator[],
  plaintext: string,
  instancePrefix: string,
): Promise<boolean> {
  const authenticator = authenticatorFor(authenticators, plaintext, instancePrefix);
  return !(await authenticator?.wasIssued?.(plaintext));
}
