import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export interface RedisChannelOptions<T> {
  /** `redis://…` of the server every replica shares. */
  url: string;
  /** The channel's full name: a key prefix ({@link redisKeyPrefix}) and what it carries. */
  channel: string;
  /** What one message announces, for reports: `cache eviction`. */
  carries: string;
  /** A message's fields (the sender's origin removed), or undefined when they are not one of ours. */
  decode: (fields: Record<string, unknown>) => T | undefined;
  /** A publish that failed or was skipped, a lost subscription, a malformed message: reported, never thrown. */
  onError: (error: Error) => void;
  /** Longest wait for one publish before giving up on it; default 500 ms. */
  publishTimeoutMs?: number;
}

/** What a replica does with the messages of its peers. */
export interface ChannelSubscriber<T> {
  onMessage(message: T): void;
  /** Subscribed again after losing the connection: messages published meanwhile never arrived. */
  onResubscribed(): void;
}

/**
 * One Redis pub/sub channel the replicas of a role share: a message is a JSON object carrying the
 * sending process's random origin, so a replica skips its own. Pub/sub delivers to whoever is
 * subscribed at that moment and keeps nothing, so a subscriber is told when it subscribed again after
 * an outage ({@link ChannelSubscriber.onResubscribed}) and catches up by other means. A publish that
 * cannot reach Redis is reported and dropped: what it announces has already been committed.
 *
 * @example
 * const channel = new RedisChannel({ url, channel: `${prefix}cache-evictions`, carries: 'cache eviction', decode, onError });
 * await channel.subscribe({ onMessage: apply, onResubscribed: reload });
 * await channel.publish({ jobIds: [3] });
 */
export class RedisChannel<T extends object> {
  readonly channel: string;
  readonly #origin = randomUUID();
  readonly #options: RedisChannelOptions<T>;
  readonly #publisher: Redis;
  #subscriber: Redis | undefined;
  #closing = false;

  constructor(options: RedisChannelOptions<T>) {
    this.channel = options.channel;
    this.#options = options;
    // Lazy: a CLI command that publishes nothing never connects. One retry, bounded by the timeout.
    // Named after the channel, so an operator's CLIENT LIST shows whose connections these are.
    this.#publisher = new Redis(options.url, {
      connectionName: this.channel,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      commandTimeout: options.publishTimeoutMs ?? 500,
    });
    this.#publisher.on('error', () => undefined); // reported per publish below
  }

  async publish(message: T): Promise<void> {
    const { status } = this.#publisher;
    // Known to be down: the change being announced must not wait for Redis to come back.
    if (status === 'reconnecting' || status === 'close' || status === 'end') {
      this.#report(new Error(`not published: the Redis connection is ${status}`));
      return;
    }
    try {
      await this.#publisher.publish(this.channel, JSON.stringify({ origin: this.#origin, ...message }));
    } catch (error) {
      this.#report(error);
    }
  }

  /**
   * Subscribes on a connection of its own, which ioredis re-opens after Redis restarts; every
   * (re)connection subscribes again. True once subscribed; false when the first subscription took
   * longer than `waitMs` (the subscriber keeps trying: start-up does not wait for Redis).
   */
  subscribe(subscriber: ChannelSubscriber<T>, waitMs = 2000): Promise<boolean> {
    if (this.#subscriber) throw new Error('already subscribed');
    const connection = new Redis(this.#options.url, {
      connectionName: this.channel,
      lazyConnect: true,
      // Subscribed again by hand on every `ready`, so a resubscription is known and acted on.
      autoResubscribe: false,
      maxRetriesPerRequest: null,
    });
    this.#subscriber = connection;
    let subscribed = false;
    let up = false;
    const first = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), waitMs);
      timer.unref();
      connection.on('ready', () => {
        connection.subscribe(this.channel).then(
          () => {
            if (subscribed) subscriber.onResubscribed();
            subscribed = true;
            up = true;
            clearTimeout(timer);
            resolve(true);
          },
          (error: unknown) => this.#report(error),
        );
      });
    });
    // Errors come once per reconnection attempt; the loss is reported once per outage instead.
    connection.on('error', () => undefined);
    connection.on('close', () => {
      if (!up || this.#closing) return;
      up = false;
      this.#report(new Error(`the subscription to ${this.#options.carries}s was lost; reconnecting`));
    });
    connection.on('message', (channel: string, text: string) => {
      if (channel !== this.channel) return;
      const decoded = decodeMessage(text, this.#options.decode);
      if (!decoded) this.#report(new Error(`a malformed ${this.#options.carries} message was ignored`));
      else if (decoded.origin !== this.#origin) subscriber.onMessage(decoded.message);
    });
    connection.connect().catch(() => undefined); // retried by ioredis; reported through 'error'
    return first;
  }

  /** Closes both connections (when they were opened). */
  async close(): Promise<void> {
    this.#closing = true;
    for (const connection of [this.#publisher, this.#subscriber]) {
      if (!connection || connection.status === 'wait' || connection.status === 'end') continue;
      await connection.quit().catch(() => connection.disconnect());
    }
  }

  #report(error: unknown): void {
    this.#options.onError(error instanceof Error ? error : new Error(String(error)));
  }
}

/** A message of a channel with its origin, or undefined when it is not one a replica of ours could have sent. */
export function decodeMessage<T>(
  text: string,
  decode: (fields: Record<string, unknown>) => T | undefined,
): { origin: string; message: T } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const { origin, ...fields } = parsed as Record<string, unknown>;
  if (typeof origin !== 'string') return undefined;
  const message = decode(fields);
  return message === undefined ? undefined : { origin, message };
}
