import type { Actor } from '../../audit/audit-log.ts';
import { findAccessTokenByDigest } from '../../store/access-tokens.repository.ts';
import type { AccessToken } from '../../store/schema.ts';
import { findUserById } from '../../store/users.repository.ts';
import type { AccessTokenDeps } from './access-token-deps.ts';
import { ACCESS_TOKEN_PREFIX, looksLikeAccessToken } from './access-token-secret.ts';
import { accessTokenState, credentialKindOf, scopesOf, type AccessTokenState } from './access-token-state.ts';
import { granularScopesOf, type GranularScope } from './granular-scopes.ts';
import { revokeAccessToken } from './revoke-access-token.ts';

/**
 * What can be said about a token from its plaintext, in the platform's field names. It never holds
 * the secret, nor anything derived from it.
 */
export interface TokenInspection {
  token_type: string;
  id: number;
  name: string;
  /** `job_finished`: a CI job token whose job has ended (the only way a job token stops working). */
  state: AccessTokenState | 'job_finished';
  active: boolean;
  revoked: boolean;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  /** The user the token acts as; null for a token that stands for no user (a deploy token). */
  user_id: number | null;
  owner: { id: number; username: string; bot: boolean } | null;
  /** The project or group of a bot token. */
  resource: { type: 'project' | 'group'; id: number } | null;
  access_level: number | null;
  /** Access tokens only: a personal token an administrator made in the user's name. */
  impersonation?: boolean;
  /** Fine-grained personal tokens only: what the token holds, one grant per boundary. */
  granular_scopes?: GranularScope[];
}

/**
 * One kind of token the admin token API and `tessera tokens inspect` can identify from its plaintext,
 * found by prefix like the authenticators (the platform's agnostic token identifier).
 */
export interface TokenInspector {
  readonly prefix: string;
  /** What the token is, whatever its state; null when no such token exists. */
  inspect(plaintext: string): Promise<TokenInspection | null>;
  /** Revokes the token; null when no such token exists. */
  revoke(plaintext: string, actor: Actor): Promise<TokenInspection | null>;
}

/** Personal, project and group access tokens. */
export class AccessTokenInspector implements TokenInspector {
  readonly prefix = ACCESS_TOKEN_PREFIX;

  constructor(private readonly deps: AccessTokenDeps) {}

  async inspect(plaintext: string): Promise<TokenInspection | null> {
    const token = await this.#find(plaintext);
    return token ? this.#describe(token) : null;
  }

  async revoke(plaintext: string, actor: Actor): Promise<TokenInspection | null> {
    const token = await this.#find(plaintext);
    if (!token) return null;
    await revokeAccessToken(this.deps, actor, token);
    return this.inspect(plaintext);
  }

  async #find(plaintext: string): Promise<AccessToken | undefined> {
    if (!looksLikeAccessToken(plaintext, this.deps.policy.tokenPrefix)) return undefined;
    return findAccessTokenByDigest(this.deps.db, this.deps.digester.digest(plaintext));
  }

  async #describe(token: AccessToken): Promise<TokenInspection> {
    const owner = await findUserById(this.deps.db, token.user_id);
    const state = accessTokenState(token, this.deps.clock);
    return {
      token_type: credentialKindOf(token.kind),
      id: token.id,
      name: token.name,
      state,
      active: state === 'active',
      revoked: token.revoked === 1,
      scopes: scopesOf(token),
      created_at: token.created_at,
      expires_at: token.expires_at,
      last_used_at: token.last_used_at,
      user_id: token.user_id,
      owner: owner ? { id: owner.id, username: owner.username, bot: owner.bot_kind !== null } : null,
      resource:
        token.kind === 'personal' || token.resource_id === null
          ? null
          : { type: token.kind, id: token.resource_id },
      access_level: token.access_level,
      impersonation: token.impersonation === 1,
      ...granularPart(token),
    };
  }
}

function granularPart(token: AccessToken): { granular_scopes?: GranularScope[] } {
  const granular = granularScopesOf(token);
  return granular ? { granular_scopes: granular } : {};
}

/** The inspector for the plaintext's type prefix (with or without the instance prefix), if any. */
export function inspectorFor(
  inspectors: readonly TokenInspector[],
  plaintext: string,
  instancePrefix: string,
): TokenInspector | undefined {
  const bare =
    instancePrefix && plaintext.startsWith(`${instancePrefix}-`)
      ? plaintext.slice(instancePrefix.length + 1)
      : plaintext;
  return inspectors.find((inspector) => bare.startsWith(inspector.prefix));
}
