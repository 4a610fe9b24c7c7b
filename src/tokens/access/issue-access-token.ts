import { recordAudit, type Actor } from '../../audit/audit-log.ts';
import { insertAccessToken, type AccessTokenKind } from '../../store/access-tokens.repository.ts';
import type { Executor } from '../../store/database.ts';
import type { AccessToken } from '../../store/schema.ts';
import { isoNow } from '../../util/clock.ts';
import type { AccessTokenDeps } from './access-token-deps.ts';
import { mintAccessTokenSecret } from './access-token-secret.ts';
import { credentialKindOf, scopesOf } from './access-token-state.ts';
import { granularScopesOf, type GranularScope } from './granular-scopes.ts';

/** A token just stored, with the one copy of its secret that will ever exist outside the caller. */
export interface IssuedAccessToken {
  token: AccessToken;
  plaintext: string;
}

export interface IssueAccessTokenInput {
  kind: AccessTokenKind;
  userId: number;
  resourceId: number | null;
  name: string;
  description: string;
  scopes: readonly string[];
  accessLevel: number | null;
  /** `YYYY-MM-DD`, already validated. */
  expiresAt: string;
  previousTokenId: number | null;
  /** A secret chosen by the caller (the demo seed); minted when absent. */
  plaintext?: string;
  /** An impersonation token (personal tokens only). */
  impersonation?: boolean;
  /** A fine-grained token's grants, already validated (personal tokens only). */
  granularScopes?: readonly GranularScope[] | null;
}

/** Stores a token under the digest of a fresh secret. Call inside the transaction that audits it. */
export async function issueAccessToken(
  trx: Executor,
  deps: AccessTokenDeps,
  input: IssueAccessTokenInput,
): Promise<IssuedAccessToken> {
  const plaintext = input.plaintext ?? mintAccessTokenSecret(deps.policy.tokenPrefix);
  const token = await insertAccessToken(trx, {
    kind: input.kind,
    user_id: input.userId,
    resource_id: input.resourceId,
    name: input.name,
    description: input.description,
    digest: deps.digester.digest(plaintext),
    scopes: JSON.stringify(input.scopes),
    access_level: input.accessLevel,
    created_at: isoNow(deps.clock),
    expires_at: input.expiresAt,
    revoked: 0,
    revoked_at: null,
    last_used_at: null,
    last_used_ips: '[]',
    previous_token_id: input.previousTokenId,
    impersonation: input.impersonation ? 1 : 0,
    granular_scopes: input.granularScopes ? JSON.stringify(input.granularScopes) : null,
  });
  return { token, plaintext };
}

/** Counts an issued token once its transaction has committed. */
export function countIssued(deps: AccessTokenDeps, token: AccessToken): void {
  deps.metrics.tokensIssued.inc({ type: credentialKindOf(token.kind) });
}

const OWNER_ENTITY = { personal: 'User', project: 'Project', group: 'Group' } as const;
const TARGET_TYPE = {
  personal: 'PersonalAccessToken',
  project: 'ProjectAccessToken',
  group: 'GroupAccessToken',
} as const;

/**
 * Writes `<kind>_access_token.<verb>` with the platform's shape: the entity is the owner (the user, or
 * the project or group of a bot token), the target is the token. Never the secret.
 */
export async function auditAccessToken(
  trx: Executor,
  deps: AccessTokenDeps,
  actor: Actor,
  verb: 'created' | 'revoked' | 'rotated' | 'family_revoked',
  token: AccessToken,
  details: Record<string, unknown> = {},
): Promise<void> {
  await recordAudit(trx, deps.clock, actor, {
    action: `${credentialKindOf(token.kind)}.${verb}`,
    entity: {
      type: OWNER_ENTITY[token.kind],
      id: token.kind === 'personal' ? token.user_id : token.resource_id,
    },
    target: { type: TARGET_TYPE[token.kind], id: token.id, details: token.name },
    details: {
      token_id: token.id,
      token_name: token.name,
      user_id: token.user_id,
      scopes: scopesOf(token),
      ...(token.granular_scopes === null ? {} : { granular_scopes: granularScopesOf(token) }),
      expires_at: token.expires_at,
      ...(token.impersonation === 1 ? { impersonation: true } : {}),
      ...details,
    },
  });
}
