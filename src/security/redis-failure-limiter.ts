import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { FailureLimiter } from './rate-limiter.ts';

export interface RedisFailureLimiterOptions {
  /** `redis://…` of the server every replica shares. */
  url: string;
  /** Failures allowed within the window; the next attempt is refused. */
  limit: number;
  windowSeconds: number;
  /**
   * Separates this instance's counters from any other's on the same Redis. Replicas of one instance
   * must pass the same value (see {@link redisKeyPrefix}).
   */
  keyPrefix: string;
  /** Redis errors are reported here; the limiter then lets the attempt through (fails open). */
  onError?: (error: Error) => void;
  /** Longest wait for one Redis round trip before failing open; default 500 ms. */
  commandTimeoutMs?: number;
}

/**
 * The key prefix of an instance: derived from its external URL, which every replica of one instance
 * shares and no other instance has.
 *
 * @example
 * redisKeyPrefix('https://gitlab.example.com'); // 'tessera:3f2a9c1d7e4b:'
 */
export function redisKeyPrefix(externalUrl: string): string {
  return `tessera:${createHash('sha256').update(externalUrl).digest('hex').slice(0, 12)}:`;
}

/**
 * An ioredis error's message without the password it may quote from the URL, fit for a log line.
 *
 * @example
 * redisErrorMessage(new Error('connect to redis://:hunter2@10.0.0.5:6379 failed')); // 'connect to redis://***@10.0.0.5:6379 failed'
 */
export function redisErrorMessage(error: Error): string {
  return error.message.replace(/\/\/[^@/]*@/g, '//***@');
}

/**
 * A failure counter in Redis, so every replica of an instance sees the same counts. Each key is a
 * fixed window: the first failure opens it (`SET … PX window NX`), later ones `INCR` it in the same
 * `MULTI`, and the key expires with its window. A key at the limit is locked until the window closes.
 *
 * When Redis cannot be reached the limiter fails open (the attempt goes on and the error is reported):
 * an outage of the counter store must not lock every user out of the API.
 *
 * @example
 * const limiter = new RedisFailureLimiter({ url: 'redis://127.0.0.1:6379', limit: 10, windowSeconds: 60, keyPrefix: redisKeyPrefix(url) });
 * if ((await limiter.check('token:glpat-:ip:203.0.113.9')) === null) await limiter.fail('token:glpat-:ip:203.0.113.9');
 */
export class RedisFailureLimiter implements FailureLimiter {
  readonly #redis: Redis;
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #onError: (error: Error) => void;

  constructor(options: RedisFailureLimiterOptions) {
    if (options.limit < 1 || options.windowSeconds <= 0) throw new Error('limit and window must be positive');
    this.#limit = options.limit;
    this.#windowMs = options.windowSeconds * 1000;
    this.#onError = options.onError ?? (() => undefined);
    // Lazy: a process that never counts a failure (a CLI command) never opens a connection.
    // No offline queue and one retry: a request waits at most one timeout for an unreachable Redis.
    this.#redis = new Redis(options.url, {
      lazyConnect: true,
      keyPrefix: options.keyPrefix,
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 500,
      enableOfflineQueue: true,
    });
    this.#redis.on('error', () => undefined); // reported per command below
  }

  async check(key: string): Promise<number | null> {
    const replies = await this.#exec((multi) => multi.get(key).pttl(key));
    if (!replies) return null;
    const [count, ttl] = replies as [string | null, number];
    return Number(count ?? 0) >= this.#limit ? retryAfter(ttl, this.#windowMs) : null;
  }

  async fail(key: string): Promise<number | null> {
    const replies = await this.#exec((multi) =>
      multi.set(key, 0, 'PX', this.#windowMs, 'NX').incr(key).pttl(key),
    );
    if (!replies) return null;
    const [, count, ttl] = replies as [unknown, number, number];
    return count >= this.#limit ? retryAfter(ttl, this.#windowMs) : null;
  }

  async reset(key: string): Promise<void> {
    await this.#exec((multi) => multi.del(key));
  }

  /** Closes the connection (when one was opened). */
  async close(): Promise<void> {
    if (this.#redis.status === 'wait' || this.#redis.status === 'end') return;
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  async #exec(build: (multi: ReturnType<Redis['multi']>) => unknown): Promise<unknown[] | null> {
    try {
      const multi = this.#redis.multi();
      build(multi);
      const results = await multi.exec();
      if (!results) throw new Error('the Redis transaction was aborted');
      return results.map(([error, value]) => {
        if (error) throw error;
        return value;
      });
    } catch (error) {
      this.#onError(error instanceof Error ? error : new Error(String(error)));
      return null;
    }
  }
}

/** Whole seconds until the window ends (at least 1); a key without a TTL counts as a full window. */
function retryAfter(ttlMs: number, windowMs: number): number {
  return Math.max(1, Math.ceil((ttlMs > 0 ? ttlMs : windowMs) / 1000));
}
