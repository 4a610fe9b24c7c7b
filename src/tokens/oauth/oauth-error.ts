/** The `error` values of RFC 6749 §4.1.2.1 and §5.2, RFC 8628 §3.5, RFC 6750 §3.1 and RFC 8693 §2.2.2 that Tessera returns. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'server_error'
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token'
  | 'invalid_token'
  | 'insufficient_scope';

const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  unsupported_response_type: 400,
  invalid_scope: 400,
  invalid_target: 400,
  access_denied: 400,
  server_error: 500,
  authorization_pending: 400,
  slow_down: 400,
  expired_token: 400,
  invalid_token: 401,
  insufficient_scope: 403,
};

/**
 * An OAuth protocol error, answered in the RFC's form `{"error": …, "error_description": …}` (not
 * GitLab's REST shape). The description is safe to show: it never holds a token, code or secret.
 *
 * @example
 * throw new OAuthError('invalid_grant', 'The code verifier does not match the code challenge.');
 */
export class OAuthError extends Error {
  readonly status: number;

  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    /** Set when the client tried HTTP basic authentication: the answer must then challenge it (RFC 6749 §5.2). */
    readonly basicChallenge = false,
  ) {
    super(description);
    this.name = 'OAuthError';
    this.status = STATUS[error];
  }

  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

/** Doorkeeper's wording, which GitLab's clients have seen for years. */
export const INVALID_GRANT_MESSAGE =
  'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.';

export const invalidGrant = (description = INVALID_GRANT_MESSAGE): OAuthError =>
  new OAuthError('invalid_grant', description);

export const invalidRequest = (description: string): OAuthError =>
  new OAuthError('invalid_request', description);

export const invalidScope = (
  description = 'The requested scope is invalid, unknown, or malformed.',
): OAuthError => new OAuthError('invalid_scope', description);
