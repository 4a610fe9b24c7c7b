import type { JWTPayload } from 'jose';
import { SYSTEM_ACTOR, type Actor } from '../audit/audit-log.ts';
import type { Settings } from '../config/settings.ts';
import type { SecretBox } from '../crypto/secrets.ts';
import type { Logger } from '../observability/logger.ts';
import type { Db, Trx } from '../store/database.ts';
import {
  findSigningKeyByState,
  listSigningKeys,
  lockSigningKeysOfRole,
} from '../store/signing-keys.repository.ts';
import type { Clock } from '../util/clock.ts';
import { generateKey } from './generate-key.ts';
import { toJwks, type Jwks } from './jwks.ts';
import {
  fillMissingKeys,
  nextRotationAt,
  removeExpiredKeys,
  rotateKeys,
  type KeySupply,
  type RotationResult,
} from './key-lifecycle.ts';
import { toKeyListing, type KeyListing } from './key-listing.ts';
import { KeyScheduler } from './key-scheduler.ts';
import { longestTokenLifetimeSeconds, retentionSeconds } from './key-retention.ts';
import type { Transition } from './key-transitions.ts';
import { sealKey } from './seal-key.ts';
import { signJwt, type SignJwtOptions } from './sign-jwt.ts';
import { SignerCache } from './signer-cache.ts';

export { RETIREMENT_MARGIN_SECONDS } from './key-retention.ts';

export interface KeyManagerDeps {
  db: Db;
  clock: Clock;
  box: SecretBox;
  settings: Settings;
  logger: Logger;
}

/** What one scheduled step did. */
export interface TickResult {
  rotated: RotationResult | null;
  removed: string[];
}

/**
 * The signing keys of every role: creates them on first start, rotates them with overlap (the next key
 * is published a whole interval before it signs; a retired key stays published until its last token
 * expires), signs JWTs with the active key and serves the JWKS.
 *
 * @example
 * const keys = new KeyManager({ db, clock, box, settings, logger });
 * await keys.ensureKeys('instance');
 * const jwt = await keys.signJwt('instance', { scope: 'read' }, { expiresInSeconds: 300, audience: 'gateway' });
 */
export class KeyManager {
  readonly #signers: SignerCache;
  readonly #scheduler: KeyScheduler;

  constructor(private readonly deps: KeyManagerDeps) {
    this.#signers = new SignerCache(deps);
    this.#scheduler = new KeyScheduler((role) => this.tick(role), deps.logger);
  }

  /** Creates the role's active and next keys if either is missing; does nothing otherwise. */
  async ensureKeys(role: string): Promise<void> {
    const [active, next] = await Promise.all([
      findSigningKeyByState(this.deps.db, role, 'active'),
      findSigningKeyByState(this.deps.db, role, 'next'),
    ]);
    if (active && next) return;
    // Generate outside the lock (RSA takes a while); a replica that loses the race wastes its keys.
    const supply = await this.#supply((active ? 0 : 1) + (next ? 0 : 1));
    const created = await this.#locked(role, SYSTEM_ACTOR, (t) => fillMissingKeys(t, role, supply));
    if (created.length > 0) this.deps.logger.info({ role, created }, 'signing keys created');
  }

  #retentionSeconds(role: string): number {
    return retentionSeconds(this.deps.settings, role);
  }

  /** Rotates now: next → active, active → retired, a new next key; expired retired keys are removed. */
  async rotate(role: string, actor: Actor): Promise<RotationResult> {
    const supply = await this.#supply(1);
    const result = await this.#locked(role, actor, async (t) => {
      const rotation = await rotateKeys(t, role, supply, this.#retentionSeconds(role));
      await removeExpiredKeys(t, role);
      return rotation;
    });
    this.deps.logger.info({ role, ...result }, 'signing keys rotated');
    return result;
  }

  /** The scheduled step: rotates once the active key is older than the rotation interval, removes expired keys. */
  async tick(role: string, actor: Actor = SYSTEM_ACTOR): Promise<TickResult> {
    const active = await findSigningKeyByState(this.deps.db, role, 'active');
    const supply = await this.#supply(active && !this.#due(active.activated_at) ? 0 : 1);
    const result = await this.#locked(role, actor, async (t): Promise<TickResult> => {
      // Re-read under the lock: another replica may have rotated since the check above.
      const current = await findSigningKeyByState(t.trx, role, 'active');
      const rotated =
        current && !this.#due(current.activated_at)
          ? null
          : await rotateKeys(t, role, supply, this.#retentionSeconds(role));
      return { rotated, removed: await removeExpiredKeys(t, role) };
    });
    if (result.rotated)
      this.deps.logger.info({ role, ...result.rotated }, 'signing keys rotated on schedule');
    if (result.removed.length > 0)
      this.deps.logger.info({ role, removed: result.removed }, 'signing keys removed');
    return result;
  }

  /** Runs `tick` for each role every `intervalMs`; the timer does not keep the process alive. */
  startScheduler(roles: readonly string[], intervalMs: number): void {
    this.#scheduler.start(roles, intervalMs);
  }

  stopScheduler(): void {
    this.#scheduler.stop();
  }

  /** Signs `claims` with the role's active key; see {@link signJwt} for the claims it sets. */
  async signJwt(role: string, claims: JWTPayload, options: SignJwtOptions): Promise<string> {
    const signer = await this.#signers.signer(role);
    return signJwt(signer, claims, options, {
      now: this.deps.clock.now(),
      defaultIssuer: this.deps.settings.externalUrl,
      maxLifetimeSeconds: longestTokenLifetimeSeconds(this.deps.settings, role),
    });
  }

  /** The public keys a verifier needs: active, next, and retired keys whose tokens may still be valid. */
  async jwks(role: string): Promise<Jwks> {
    return toJwks(await listSigningKeys(this.deps.db, role), this.deps.clock.now());
  }

  /** The role's keys and the time of the next scheduled rotation, for the CLI. */
  async list(role: string): Promise<KeyListing> {
    return toKeyListing(
      role,
      await listSigningKeys(this.deps.db, role),
      this.deps.settings.keyRotationIntervalSeconds,
    );
  }

  #due(activatedAt: string | null): boolean {
    if (activatedAt === null) return true;
    const at = nextRotationAt(activatedAt, this.deps.settings.keyRotationIntervalSeconds);
    return at.getTime() <= this.deps.clock.now().getTime();
  }

  /**
   * `count` keys generated before the lock is taken: generating RSA keys takes a while, and on SQLite
   * the lock is the whole store's write lock. Should the locked step need more, they are made there.
   */
  async #supply(count: number): Promise<KeySupply> {
    const generate = async () =>
      sealKey(this.deps.box, await generateKey(this.deps.settings.signingAlgorithm));
    const ready = await Promise.all(Array.from({ length: count }, generate));
    return async () => ready.shift() ?? generate();
  }

  async #locked<T>(role: string, actor: Actor, step: (t: Transition) => Promise<T>): Promise<T> {
    try {
      return await this.deps.db.transaction().execute(async (trx: Trx) => {
        await lockSigningKeysOfRole(trx, role);
        return step({ trx, clock: this.deps.clock, actor });
      });
    } finally {
      this.#signers.forget(role);
    }
  }
}
