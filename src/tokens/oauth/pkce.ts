import { createHash } from 'node:crypto';
import { constantTimeEqual } from '../../crypto/secrets.ts';

/*
 * PKCE (RFC 7636), `S256` only: `plain` sends the verifier itself through the browser, which is what
 * PKCE exists to avoid.
 */

/** Verifiers are 43 to 128 unreserved characters (RFC 7636 §4.1). */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
/** An S256 challenge is a base64url SHA-256: exactly 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** Whether a `code_challenge` can be an S256 challenge at all. */
export function isS256Challenge(challenge: string): boolean {
  return S256_CHALLENGE.test(challenge);
}

/** The S256 challenge of a verifier: base64url(SHA-256(verifier)). */
export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/**
 * True when `verifier` is well-formed and hashes to `challenge`.
 *
 * @example
 * verifiesS256(challenge, 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'); // true for RFC 7636's example pair
 */
export function verifiesS256(challenge: string, verifier: string): boolean {
  return VERIFIER.test(verifier) && constantTimeEqual(s256Challenge(verifier), challenge);
}
