/**
 * Every error Tessera reports, with the HTTP status it maps to. One place decides what a client sees,
 * so a route never invents a status or a message of its own.
 */
export const ERROR_CODES = {
  /** Missing, unknown, expired or revoked credential: one answer for all, so no oracle. */
  unauthorized: 401,
  /** The credential is valid but lacks a scope the request needs. */
  insufficient_scope: 403,
  /** A fine-grained token holds no boundary containing the target with the permission the route needs. */
  insufficient_granular_scope: 403,
  /** The caller is known but may not do this. */
  forbidden: 403,
  /** Absent, or present but hidden from the caller. */
  not_found: 404,
  /** A field is missing or malformed; the message names it. */
  bad_request: 400,
  /** The request conflicts with existing state (a taken username or path). */
  conflict: 409,
  /** Gone for good: an API the platform has switched off (runner registration tokens). */
  gone: 410,
  /** Well-formed but not processable (an unsupported token type). */
  unprocessable: 422,
  /** Too many failed attempts; `retryAfterSeconds` says when to try again. */
  rate_limited: 429,
  /** Oversized header or body. */
  too_large: 431,
  /** The store or another dependency is not reachable. */
  unavailable: 503,
  /** A bug: logged with its stack, shown to the client as a bare 500. */
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
