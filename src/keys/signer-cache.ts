import type { CryptoKey } from 'jose';
import type { SecretBox } from '../crypto/secrets.ts';
import { TesseraError } from '../errors/tessera-error.ts';
import type { Executor } from '../store/database.ts';
import type { SigningKey } from '../store/schema.ts';
import { findSigningKeyByState } from '../store/signing-keys.repository.ts';
import type { Clock } from '../util/clock.ts';
import { unsealKey } from './seal-key.ts';
import type { Signer } from './sign-jwt.ts';

/** How long this process trusts its idea of which key is active before asking the store again. */
export const ACTIVE_KEY_TTL_MS = 1000;

interface ActiveEntry {
  fetchedAt: number;
  row: Promise<SigningKey | undefined>;
}

/**
 * Finds the signer of a role. Which key is active is re-read from the store at most every second, so a
 * rotation by another replica or by the CLI is picked up; private keys are decrypted once per kid and
 * kept in memory (they never change for a given kid).
 *
 * @example
 * const signer = await cache.signer('instance');
 */
export class SignerCache {
  readonly #active = new Map<string, ActiveEntry>();
  readonly #privateKeys = new Map<string, Promise<CryptoKey>>();

  constructor(private readonly deps: { db: Executor; box: SecretBox; clock: Clock }) {}

  async signer(role: string): Promise<Signer> {
    const row = await this.#activeRow(role);
    if (!row) throw new TesseraError('unavailable', `no active signing key for ${role}`);
    return { kid: row.kid, alg: row.alg, privateKey: await this.#privateKey(row) };
  }

  /** Drops what this process believes is active, after it changed the keys itself. */
  forget(role: string): void {
    this.#active.delete(role);
  }

  #activeRow(role: string): Promise<SigningKey | undefined> {
    const now = this.deps.clock.now().getTime();
    const cached = this.#active.get(role);
    // A clock that moved backwards (a test, or a stepped system clock) also makes the entry stale.
    if (cached && now >= cached.fetchedAt && now - cached.fetchedAt < ACTIVE_KEY_TTL_MS) return cached.row;
    // Concurrent signers share one read instead of each querying the store.
    const row = findSigningKeyByState(this.deps.db, role, 'active');
    const entry = { fetchedAt: now, row };
    this.#active.set(role, entry);
    row.catch(() => {
      if (this.#active.get(role) === entry) this.#active.delete(role);
    });
    return row;
  }

  #privateKey(row: SigningKey): Promise<CryptoKey> {
    let key = this.#privateKeys.get(row.kid);
    if (!key) {
      key = unsealKey(this.deps.box, row);
      this.#privateKeys.set(row.kid, key);
      key.catch(() => this.#privateKeys.delete(row.kid));
    }
    return key;
  }
}
