import { createHash } from 'node:crypto';
import type { CloudConnectorClaims } from './claims.ts';

/**
 * A bounded LRU of tokens that already passed verification, keyed by the SHA-256 of the token (the
 * token itself is never kept as a key) and expiring at the token's `exp`. Scopes and headers are not
 * part of the entry: callers check them on every request.
 */
export class VerifiedTokenCache {
  // A Map iterates in insertion order, so re-inserting on a hit makes its first key the least recent.
  readonly #entries = new Map<string, CloudConnectorClaims>();

  constructor(private readonly capacity: number) {}

  static keyOf(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  get(key: string, nowSeconds: number): CloudConnectorClaims | undefined {
    const claims = this.#entries.get(key);
    if (claims === undefined) return undefined;
    this.#entries.delete(key);
    if (claims.exp <= nowSeconds) return undefined;
    this.#entries.set(key, claims);
    return claims;
  }

  set(key: string, claims: CloudConnectorClaims): void {
    if (this.capacity <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, claims);
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
