import { errors } from 'jose';

/**
 * Every error the SDK throws has one of these codes. The first two are the RFC 6750 error strings a
 * resource server sends back; `invalid_configuration` means the SDK was set up wrongly (a bug, not a
 * client's fault).
 */
export type SdkErrorCode = 'invalid_token' | 'insufficient_scope' | 'invalid_configuration';

/**
 * Why a token was refused. Clients only ever see the {@link SdkErrorCode}; the reason is for logs,
 * metrics and tests.
 */
export type SdkErrorReason =
  | 'missing_token'
  | 'token_too_large'
  | 'malformed'
  | 'unknown_issuer'
  | 'missing_kid'
  | 'unknown_kid'
  | 'keys_unavailable'
  | 'algorithm_not_allowed'
  | 'unsupported'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_audience'
  | 'wrong_issuer'
  | 'wrong_type'
  | 'invalid_claims'
  | 'header_mismatch'
  | 'missing_scope'
  | 'configuration';

const STATUS: Record<SdkErrorCode, number> = {
  invalid_token: 401,
  insufficient_scope: 403,
  invalid_configuration: 500,
};

/**
 * The one error class of the SDK. Its message is safe to send to a client: it never quotes a token.
 *
 * @example
 * ```ts
 * try {
 *   await verifier.verify(token, { scopes: ['complete_code'] });
 * } catch (error) {
 *   if (error instanceof SdkError && error.code === 'insufficient_scope') {
 *     console.log(error.missingScopes); // ['complete_code']
 *   }
 * }
 * ```
 */
export class SdkError extends Error {
  override readonly name = 'SdkError';
  /** HTTP status a resource server answers with: 401, 403 or 500. */
  readonly status: number;
  /** For `insufficient_scope`: the scopes the token lacks (any one of them would do for an any-of check). */
  readonly missingScopes: readonly string[];

  constructor(
    readonly code: SdkErrorCode,
    readonly reason: SdkErrorReason,
    message: string,
    options: { missingScopes?: readonly string[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = STATUS[code];
    this.missingScopes = options.missingScopes ?? [];
  }

  /** The RFC 6750 error body: `{ error, error_description }`. */
  toJSON(): { error: SdkErrorCode; error_description: string } {
    return { error: this.code, error_description: this.message };
  }

  /**
   * Turns an error from jose into an `invalid_token` with a precise reason; an `SdkError` passes
   * through. Anything else is a bug and is rethrown as it is.
   *
   * @example
   * ```ts
   * await jwtVerify(token, key).catch((error) => { throw SdkError.from(error); });
   * ```
   */
  static from(error: unknown): SdkError {
    if (error instanceof SdkError) return error;
    if (!(error instanceof errors.JOSEError)) throw error;
    const [reason, message] = describeJoseError(error);
    return new SdkError('invalid_token', reason, message, { cause: error });
  }
}

function describeJoseError(error: errors.JOSEError): [SdkErrorReason, string] {
  if (error instanceof errors.JWTExpired) return ['expired', 'the token has expired'];
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return ['not_yet_valid', 'the token is not valid yet'];
    if (error.claim === 'aud') return ['wrong_audience', 'the token is not meant for this service'];
    if (error.claim === 'iss') return ['wrong_issuer', 'the token has an unexpected issuer'];
    if (error.claim === 'typ') return ['wrong_type', 'the token has an unexpected type (typ)'];
    return ['invalid_claims', `the token's "${error.claim}" claim is invalid`];
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return ['algorithm_not_allowed', 'the token uses an algorithm this service does not accept'];
  // jose says "not supported" for an unknown `crit` extension and for a symmetric alg against a key set.
  if (error instanceof errors.JOSENotSupported)
    return ['unsupported', 'the token uses a header or algorithm this service does not support'];
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return ['bad_signature', 'the token signature is invalid'];
  if (error instanceof errors.JWKSNoMatchingKey)
    return ['unknown_kid', 'the token was signed by an unknown key'];
  return ['malformed', 'the token is malformed'];
}
