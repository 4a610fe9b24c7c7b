import { constantTimeEqual, randomSecret, type Digester } from '../crypto/secrets.ts';

/**
 * The sign-in form's authenticity token, as GitLab's: a session-less page still needs one, or
 * another site could post its own credentials and sign a victim's browser into the attacker's
 * account (login CSRF). The token is bound to a random pre-session value the browser keeps in a
 * cookie; a SameSite=Lax cookie never rides along on another site's form post, so its token cannot
 * be replayed from there.
 */

/** A fresh pre-session value for a browser that has none. */
export function newPreSession(): string {
  return randomSecret();
}

/** A value we could have issued: anything else is replaced rather than trusted. */
export function isPreSession(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{20,100}$/.test(value);
}

/**
 * The form's token for a pre-session: a keyed digest, so it cannot be computed from the cookie alone
 * and says nothing about the key.
 *
 * @example
 * signInTokenFor(digester, preSession); // 'mT3…' (43 characters)
 */
export function signInTokenFor(digester: Digester, preSession: string): string {
  return digester.digest(`sign-in-csrf:${preSession}`);
}

/** Whether `presented` is the token of `preSession` (compared in constant time). */
export function signInTokenMatches(digester: Digester, preSession: unknown, presented: unknown): boolean {
  if (!isPreSession(preSession) || typeof presented !== 'string') return false;
  return constantTimeEqual(signInTokenFor(digester, preSession), presented);
}
