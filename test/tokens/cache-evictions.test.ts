import { describe, expect, it } from 'vitest';
import type { JobSummary } from '../../src/store/ci-schema.ts';
import type { AccessToken, DeployToken, User } from '../../src/store/schema.ts';
import { accessTokenCacheFor } from '../../src/tokens/access/access-token-cache.ts';
import {
  applyEviction,
  attachEvictionFeed,
  clearEvictableCaches,
  publishEviction,
  type CacheEviction,
} from '../../src/tokens/cache-evictions.ts';
import { deployTokenCacheFor } from '../../src/tokens/deploy/deploy-token-cache.ts';
import { jobTokenCacheFor } from '../../src/tokens/job/job-token-cache.ts';
import { ManualClock } from '../../src/util/clock.ts';

const clock = new ManualClock('2026-03-01T12:00:00.000Z');
const user = (id: number) => ({ id }) as User;

/** The three token caches of one (pretend) store handle, each holding two entries. */
function cachesOfAStore() {
  const store = {};
  const access = accessTokenCacheFor(store, clock);
  access.set(
    'digest-1',
    { token: { id: 1 } as AccessToken, owner: user(10), scopes: ['api'] },
    access.generation,
  );
  access.set(
    'digest-2',
    { token: { id: 2 } as AccessToken, owner: user(20), scopes: ['api'] },
    access.generation,
  );
  const jobs = jobTokenCacheFor(store, clock);
  jobs.set('job-digest-7', { job: { id: 7 } as JobSummary, user: user(10) }, jobs.generation);
  jobs.set('job-digest-8', { job: { id: 8 } as JobSummary, user: user(20) }, jobs.generation);
  const deploy = deployTokenCacheFor(store, clock, 30_000);
  deploy.set('deploy-digest-3', { id: 3 } as DeployToken, deploy.generation);
  deploy.set('deploy-digest-4', { id: 4 } as DeployToken, deploy.generation);
  return { store, access, jobs, deploy };
}

describe('evictions from the token caches', () => {
  it("an eviction from another replica drops exactly the tokens, jobs and users it names from this store's caches", () => {
    const { store, access, jobs, deploy } = cachesOfAStore();
    const generation = jobs.generation;
    applyEviction(store, { accessTokenDigests: ['digest-1'], deployTokenIds: [4], jobIds: [8] });
    expect([access.get('digest-1'), access.get('digest-2')]).toEqual([undefined, expect.anything()]);
    expect([jobs.get('job-digest-7'), jobs.get('job-digest-8')]).toEqual([expect.anything(), undefined]);
    expect([deploy.get('deploy-digest-3'), deploy.get('deploy-digest-4')]).toEqual([
      expect.anything(),
      undefined,
    ]);
    // A lookup that raced the remote eviction is not stored either.
    expect(jobs.generation).toBeGreaterThan(generation);

    applyEviction(store, { userIds: [20] });
    expect(access.get('digest-2')).toBeUndefined();
    expect(jobs.get('job-digest-7')).toBeDefined();
    applyEviction(store, { userIds: [10] });
    expect(jobs.get('job-digest-7')).toBeUndefined();
  });

  it('a lookup that raced a revocation is not stored: a revoked row read before the eviction never becomes a hit', () => {
    const { access, deploy } = cachesOfAStore();
    const row = { token: { id: 5 } as AccessToken, owner: user(30), scopes: ['api'] };
    for (const [cache, store] of [
      [access, (generation: number) => access.set('digest-5', row, generation)],
      [deploy, (generation: number) => deploy.set('deploy-digest-5', { id: 5 } as DeployToken, generation)],
    ] as const) {
      const before = cache.generation;
      // The row is read (still active), then the token is revoked here or on another replica...
      cache.evict({ accessTokenDigests: ['digest-5'], deployTokenIds: [5] });
      // ...and the lookup that read it tries to cache it.
      store(before);
    }
    expect(access.get('digest-5')).toBeUndefined();
    expect(deploy.get('deploy-digest-5')).toBeUndefined();
  });

  it('reaches only the caches of the store it names: another instance in the process keeps its own', () => {
    const one = cachesOfAStore();
    const other = cachesOfAStore();
    applyEviction(one.store, { accessTokenDigests: ['digest-1'] });
    expect(one.access.get('digest-1')).toBeUndefined();
    expect(other.access.get('digest-1')).toBeDefined();
  });

  it('empties every cache of the store after the feed was down', () => {
    const { store, access, jobs, deploy } = cachesOfAStore();
    clearEvictableCaches(store);
    expect([access.size, jobs.size, deploy.get('deploy-digest-3')]).toEqual([0, 0, undefined]);
  });

  it("publishes through the store's feed only when there is one and the eviction names something", async () => {
    const { store } = cachesOfAStore();
    await publishEviction(store, { jobIds: [1] }); // no feed: nothing to do, nothing thrown
    const published: CacheEviction[] = [];
    attachEvictionFeed(store, { publish: async (eviction) => void published.push(eviction) });
    await publishEviction(store, { accessTokenDigests: [], jobIds: [] });
    await publishEviction(store, { jobIds: [1], userIds: [2] });
    expect(published).toEqual([{ jobIds: [1], userIds: [2] }]);
    attachEvictionFeed(store, undefined);
    await publishEviction(store, { jobIds: [3] });
    expect(published).toHaveLength(1);
  });
});
