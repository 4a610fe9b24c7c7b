import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { decodeEviction, RedisEvictionFeed } from '../../src/runtime/redis-eviction-feed.ts';
import type { CacheEviction } from '../../src/tokens/cache-evictions.ts';
import { freePort } from '../support/instance.ts';

const REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** What one replica's feed heard. */
interface Heard {
  evictions: CacheEviction[];
  errors: string[];
  resubscribed: number;
}

describe('the eviction feed on Redis pub/sub', () => {
  // A prefix of this test's own, so parallel test files never hear each other.
  const keyPrefix = `tessera-test:${randomBytes(6).toString('hex')}:`;
  const feeds: RedisEvictionFeed[] = [];
  const redis = new Redis(REDIS_URL);

  async function replica(url = REDIS_URL): Promise<{ feed: RedisEvictionFeed; heard: Heard }> {
    const heard: Heard = { evictions: [], errors: [], resubscribed: 0 };
    const feed = new RedisEvictionFeed({
      url,
      keyPrefix,
      onError: (error) => heard.errors.push(error.message),
    });
    feeds.push(feed);
    return { feed, heard };
  }
  const listen = (feed: RedisEvictionFeed, heard: Heard, waitMs?: number) =>
    feed.subscribe(
      {
        onEviction: (eviction) => heard.evictions.push(eviction),
        onResubscribed: () => heard.resubscribed++,
      },
      waitMs,
    );
  /** Polls (bounded) until `done` holds. */
  async function until(done: () => boolean): Promise<void> {
    const deadline = performance.now() + 5000;
    while (!done() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(done()).toBe(true);
  }

  afterEach(async () => {
    for (const feed of feeds.splice(0)) await feed.close();
  });
  afterAll(async () => {
    await redis.quit();
  });

  it("delivers a replica's eviction to the others, and not back to itself", async () => {
    const a = await replica();
    const b = await replica();
    expect(await listen(a.feed, a.heard)).toBe(true);
    expect(await listen(b.feed, b.heard)).toBe(true);
    await a.feed.publish({ accessTokenDigests: ['abc'], userIds: [7] });
    await until(() => b.heard.evictions.length === 1);
    expect(b.heard.evictions).toEqual([{ accessTokenDigests: ['abc'], userIds: [7] }]);
    await b.feed.publish({ jobIds: [3] });
    await until(() => a.heard.evictions.length === 1);
    expect(a.heard.evictions).toEqual([{ jobIds: [3] }]);
    expect(b.heard.evictions).toHaveLength(1);
    expect([...a.heard.errors, ...b.heard.errors]).toEqual([]);
  });

  it('ignores and reports a message no replica of ours could have sent', async () => {
    const b = await replica();
    expect(await listen(b.feed, b.heard)).toBe(true);
    await redis.publish(b.feed.channel, '{"origin":"someone","jobIds":["1; DROP"]}');
    await redis.publish(b.feed.channel, JSON.stringify({ origin: 'someone', deployTokenIds: [5] }));
    await until(() => b.heard.evictions.length === 1);
    expect(b.heard.evictions).toEqual([{ deployTokenIds: [5] }]);
    expect(b.heard.errors).toEqual(['a malformed cache eviction message was ignored']);
  });

  it('without Redis, a publish neither throws nor waits for Redis to come back, and is reported', async () => {
    const down = await replica(`redis://127.0.0.1:${await freePort()}`);
    await down.feed.publish({ jobIds: [1] });
    // Known to be down now: the next publish does not even try.
    await down.feed.publish({ jobIds: [2] });
    expect(down.heard.errors).toHaveLength(2);
    expect(down.heard.errors[1]).toBe('not published: the Redis connection is reconnecting');
    expect(await listen(down.feed, down.heard, 100)).toBe(false);
  });
});

describe('an eviction message', () => {
  it('is read back as sent', () => {
    const eviction = { accessTokenDigests: ['d1'], deployTokenIds: [1], jobIds: [2], userIds: [3] };
    expect(decodeEviction(JSON.stringify({ origin: 'o', ...eviction }))).toEqual({ origin: 'o', eviction });
    expect(decodeEviction('{"origin":"o"}')).toEqual({ origin: 'o', eviction: {} });
  });

  it.each([
    ['not JSON', 'jobIds=1'],
    ['not an object', '[1]'],
    ['without an origin', '{"jobIds":[1]}'],
    ['with an id that is not a positive integer', '{"origin":"o","userIds":[1.5]}'],
    ['with a negative id', '{"origin":"o","jobIds":[-1]}'],
    ['with ids that are not a list', '{"origin":"o","deployTokenIds":4}'],
    ['with a digest that is not a string', '{"origin":"o","accessTokenDigests":[4]}'],
    ['with an empty digest', '{"origin":"o","accessTokenDigests":[""]}'],
  ])('is refused when %s', (_, text) => {
    expect(decodeEviction(text)).toBeUndefined();
  });
});
