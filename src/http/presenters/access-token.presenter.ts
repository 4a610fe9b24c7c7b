import type { AccessToken } from '../../store/schema.ts';
import type { Clock } from '../../util/clock.ts';
import { accessTokenState, scopesOf } from '../../tokens/access/access-token-state.ts';
import { granularScopesOf, type GranularScope } from '../../tokens/access/granular-scopes.ts';

/** An access token in the platform's v4 shape, the field order included. */
export interface AccessTokenBody {
  id: number;
  name: string;
  revoked: boolean;
  created_at: string;
  description: string;
  scopes: string[];
  user_id: number;
  last_used_at: string | null;
  active: boolean;
  expires_at: string;
  /** Personal tokens only: whether an administrator made it for the user (an impersonation token). */
  impersonation?: boolean;
  /** Project and group tokens only: the bot's role. */
  access_level?: number;
  /** Fine-grained tokens only: one grant per boundary, with its one project or group (or neither). */
  granular_scopes?: GranularScope[];
  /** Only in the answer to create and rotate: the one time the secret is shown. */
  token?: string;
}

/**
 * The v4 body of a token. `plaintext` is passed only by create and rotate; every other answer is built
 * without it, so a listing can never carry a secret.
 */
export function presentAccessToken(token: AccessToken, clock: Clock, plaintext?: string): AccessTokenBody {
  const body: AccessTokenBody = {
    id: token.id,
    name: token.name,
    revoked: token.revoked === 1,
    created_at: token.created_at,
    description: token.description,
    scopes: scopesOf(token),
    user_id: token.user_id,
    last_used_at: token.last_used_at,
    active: accessTokenState(token, clock) === 'active',
    expires_at: token.expires_at,
  };
  if (token.kind === 'personal') body.impersonation = token.impersonation === 1;
  if (token.kind !== 'personal' && token.access_level !== null) body.access_level = token.access_level;
  const granular = granularScopesOf(token);
  if (granular) body.granular_scopes = granular;
  if (plaintext !== undefined) body.token = plaintext;
  return body;
}
