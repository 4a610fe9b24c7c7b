import { TesseraError, badRequest } from '../../errors/tessera-error.ts';
import type { Clock } from '../../util/clock.ts';
import { expiryOrLongest, validateExpiry } from './access-token-expiry.ts';
import { validateScopes, type AccessTokenScope, type ScopeAudience } from './scopes.ts';

/** What a client asks for when creating a token, as the transport parsed it (not yet validated). */
export interface NewAccessTokenRequest {
  name?: string;
  description?: string;
  scopes: readonly string[];
  /** `granular_scopes` as sent, for a fine-grained personal token; checked by `validateGranularScopes`. */
  granularScopes?: unknown;
  expiresAt?: unknown;
}

export interface ValidAccessTokenRequest {
  name: string;
  description: string;
  scopes: AccessTokenScope[];
  expiresAt: string;
}

const MAX_NAME = 255;
const MAX_DESCRIPTION = 255;

/**
 * The request, checked field by field; the first problem is a 400 naming its field. A missing
 * `expires_at` is the longest lifetime the policy allows, for personal, impersonation and bot tokens
 * alike, as the platform's current API has it.
 */
export function validateNewAccessToken(
  request: NewAccessTokenRequest,
  audience: ScopeAudience,
  clock: Clock,
  maxLifetimeDays: number,
): ValidAccessTokenRequest {
  const name = request.name?.trim() ?? '';
  if (name.length === 0) throw badRequest('name', 'is missing');
  if (name.length > MAX_NAME) throw badRequest('name', `is too long (maximum is ${MAX_NAME} characters)`);
  const description = request.description ?? '';
  if (description.length > MAX_DESCRIPTION) {
    throw badRequest('description', `is too long (maximum is ${MAX_DESCRIPTION} characters)`);
  }
  const granular = request.granularScopes !== undefined;
  if (granular && request.scopes.length > 0) {
    // GitLab's words (Grape's exactly_one_of), field and all.
    throw new TesseraError('bad_request', 'scopes, granular_scopes are mutually exclusive', {
      field: 'scopes',
    });
  }
  if (granular && audience.kind === 'bot') {
    throw badRequest('granular_scopes', 'is not supported for project and group access tokens');
  }
  return {
    name,
    description,
    // A fine-grained token holds no scope: its grants are all it has.
    scopes: granular ? [] : validateScopes(request.scopes, audience),
    expiresAt: validateExpiry(
      expiryOrLongest(request.expiresAt, clock, maxLifetimeDays),
      clock,
      maxLifetimeDays,
    ),
  };
}
