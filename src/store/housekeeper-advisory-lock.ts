import pg from 'pg';
import type { HousekeeperLock, HousekeeperLockOptions } from './housekeeper-lock.ts';

/** The least time the lock connection waits for the server before counting the lock as lost. */
const MIN_TIMEOUT_MS = 2000;

/**
 * The PostgreSQL housekeeper lock: `pg_try_advisory_lock` at session level, on a connection of its
 * own, outside the pool, so that nothing else can hold or lose it by accident. The lock lives exactly
 * as long as the session: when the process dies, the server drops the session and the lock with it.
 * `pg_stat_activity.application_name` of that session names the holder.
 */
export class AdvisoryHousekeeperLock implements HousekeeperLock {
  readonly kind = 'advisory lock';
  #client: pg.Client | undefined;
  #held = false;
  #listeners: ((reason: string) => void)[] = [];

  constructor(private readonly options: HousekeeperLockOptions) {}

  async hold(): Promise<boolean> {
    const client = this.#client ?? (await this.#connect());
    try {
      if (this.#held) {
        // The session is the lock: while it answers, the lock is ours.
        await client.query('select 1');
        return true;
      }
      const result = await client.query<{ locked: boolean }>(
        'select pg_try_advisory_lock(hashtext($1)) as locked',
        [`tessera.housekeeper:${this.options.name}`],
      );
      this.#held = result.rows[0]?.locked === true;
      return this.#held;
    } catch (error) {
      this.#drop(client, 'the lock connection failed');
      throw error;
    }
  }

  onLost(listener: (reason: string) => void): void {
    this.#listeners.push(listener);
  }

  async release(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#held = false;
    // Ending the session frees the lock; an explicit unlock would be one more round trip to fail.
    await client?.end().catch(() => {});
  }

  async #connect(): Promise<pg.Client> {
    // How long the lock's connection may stay silent: one interval, but not so short that a busy
    // server looks like a lost one.
    const timeoutMs = Math.max(this.options.intervalMs, MIN_TIMEOUT_MS);
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      application_name: `tessera housekeeper ${this.options.holder}`.slice(0, 63),
      keepAlive: true,
      connectionTimeoutMillis: timeoutMs,
      // A confirmation that hangs (the server went silent) counts as a lost lock: the holder stops
      // at most an interval plus this timeout after the last answer.
      query_timeout: timeoutMs,
    });
    client.on('error', () => this.#drop(client, 'the lock connection failed'));
    client.on('end', () => this.#drop(client, 'the lock connection closed'));
    try {
      await client.connect();
      // The server drops a silent session, and frees the lock, 4 s after the holder would have given
      // up (so two never run at once), not after the OS default of hours: the bound for a replica
      // whose machine vanished without closing its connection.
      const idle = Math.ceil((this.options.intervalMs + timeoutMs) / 1000) + 1;
      await client.query(
        `set tcp_keepalives_idle = ${idle}; set tcp_keepalives_interval = 1; set tcp_keepalives_count = 3`,
      );
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    this.#client = client;
    return client;
  }

  /** Forgets a connection that failed; if it held the lock, tells the listeners at once. */
  #drop(client: pg.Client, reason: string): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    const held = this.#held;
    this.#held = false;
    void client.end().catch(() => {});
    if (held) for (const listener of this.#listeners) listener(reason);
  }
}
