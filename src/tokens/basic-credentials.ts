import type { Principal } from '../identity/principal.ts';
import type { TokenAuthenticator } from './token-authenticator.ts';

/**
 * Who HTTP basic credentials stand for, for the two places that take them: git over HTTP and the
 * registry's `/jwt/auth`. Either a user acting through a credential (PAT, CI job token, OAuth token,
 * password), or a deploy token, which belongs to a project or group and has no user behind it.
 */
export type BasicIdentity =
  | { type: 'user'; principal: Principal }
  | {
      type: 'deploy_token';
      tokenId: number;
      username: string;
      scopes: readonly string[];
      /** Whether the token reaches this project (its own project, or a project of its group tree). */
      reaches(projectId: number): Promise<boolean>;
    };

/** One kind of basic credential. The first resolver that claims a pair decides; none claiming it means 401. */
export interface BasicCredentialResolver {
  /** True when this resolver is the one to judge the pair (by the password's prefix or a fixed username). */
  claims(username: string, password: string): boolean;
  /** The identity, or null when the pair is wrong (unknown, expired, revoked, username mismatch). */
  resolve(username: string, password: string, meta: { ip: string | null }): Promise<BasicIdentity | null>;
}

/** Splits an `Authorization: Basic …` header; undefined when absent or malformed. */
export function parseBasicAuthorization(
  header: string | undefined,
): { username: string; password: string } | undefined {
  if (!header) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Access tokens work as the password with any username, as on the platform. */
export function tokenAsPassword(
  authenticator: TokenAuthenticator,
  tokenPrefix: string,
): BasicCredentialResolver {
  const fullPrefix = tokenPrefix ? `${tokenPrefix}-${authenticator.prefix}` : authenticator.prefix;
  return {
    claims: (_username, password) =>
      password.startsWith(authenticator.prefix) || password.startsWith(fullPrefix),
    async resolve(_username, password, meta) {
      const principal = await authenticator.authenticate(password, meta);
      return principal ? { type: 'user', principal } : null;
    },
  };
}

/** The identity behind basic credentials, or null (a 401) when no resolver claims or accepts them. */
export async function resolveBasicCredentials(
  resolvers: readonly BasicCredentialResolver[],
  username: string,
  password: string,
  meta: { ip: string | null },
): Promise<BasicIdentity | null> {
  // Longer than any credential we issue: refused before any digest is computed.
  if (username.length > 255 || password.length > 1024) return null;
  const resolver = resolvers.find((r) => r.claims(username, password));
  return resolver ? resolver.resolve(username, password, meta) : null;
}
