import type { Clock } from '../util/clock.ts';

/**
 * Counts failures (wrong passwords, bad tokens) per key — an account, an address — and says when a
 * key has had too many within the window. Asynchronous so that a shared store (Redis, the database)
 * can back it when several replicas must agree.
 */
export interface FailureLimiter {
  /** Seconds until the key may try again, or null when it may try now. */
  check(key: string): Promise<number | null>;
  /** Records one failure; returns the lockout in seconds when this failure reached the limit, else null. */
  fail(key: string): Promise<number | null>;
  /** Forgets the key's failures (after a success). */
  reset(key: string): Promise<void>;
  /** Releases what the limiter holds (a connection); the in-process one holds nothing. */
  close?(): Promise<void>;
}

export interface FailureLimiterOptions {
  /** Failures allowed within the window; the next attempt is refused. */
  limit: number;
  windowSeconds: number;
  clock: Clock;
  /** Keys tracked at most; beyond it the stalest are forgotten, so a flood of addresses cannot exhaust memory. */
  maxKeys?: number;
}

const DEFAULT_MAX_KEYS = 100_000;

/**
 * A sliding-window failure counter held in this process: exact for one node (and `npm start`), but
 * each replica of a cluster counts on its own.
 *
 * @example
 * const limiter = new InProcessFailureLimiter({ limit: 10, windowSeconds: 60, clock: systemClock });
 * if ((await limiter.check('ip:203.0.113.9')) === null) await limiter.fail('ip:203.0.113.9');
 */
export class InProcessFailureLimiter implements FailureLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #clock: Clock;
  readonly #maxKeys: number;
  /** Failure instants per key, oldest first, at most `limit` of them. */
  readonly #failures = new Map<string, number[]>();

  constructor(options: FailureLimiterOptions) {
    if (options.limit < 1 || options.windowSeconds <= 0) throw new Error('limit and window must be positive');
    this.#limit = options.limit;
    this.#windowMs = options.windowSeconds * 1000;
    this.#clock = options.clock;
    this.#maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  }

  async check(key: string): Promise<number | null> {
    const now = this.#clock.now().getTime();
    const recent = this.#recent(key, now);
    return recent.length >= this.#limit ? this.#retryAfter(recent, now) : null;
  }

  async fail(key: string): Promise<number | null> {
    const now = this.#clock.now().getTime();
    const recent = this.#recent(key, now);
    recent.push(now);
    if (recent.length > this.#limit) recent.shift();
    // Re-inserting moves the key to the end of the map's order, which eviction reads as "freshest".
    this.#failures.delete(key);
    this.#failures.set(key, recent);
    if (this.#failures.size > this.#maxKeys) this.#evict(now);
    return recent.length >= this.#limit ? this.#retryAfter(recent, now) : null;
  }

  async reset(key: string): Promise<void> {
    this.#failures.delete(key);
  }

  #recent(key: string, now: number): number[] {
    const all = this.#failures.get(key);
    if (!all) return [];
    const recent = all.filter((at) => now - at < this.#windowMs);
    if (recent.length === 0) this.#failures.delete(key);
    return recent;
  }

  #retryAfter(recent: number[], now: number): number {
    return Math.max(1, Math.ceil((recent[0]! + this.#windowMs - now) / 1000));
  }

  #evict(now: number): void {
    for (const [key, instants] of this.#failures) {
      if (instants.every((at) => now - at >= this.#windowMs)) this.#failures.delete(key);
    }
    for (const key of this.#failures.keys()) {
      if (this.#failures.size <= this.#maxKeys) break;
      this.#failures.delete(key);
    }
  }
}
