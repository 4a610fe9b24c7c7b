import { describe, expect, it } from 'vitest';
import { InProcessFailureLimiter } from '../../src/security/rate-limiter.ts';
import { ManualClock } from '../../src/util/clock.ts';

function limiter(limit = 3, windowSeconds = 60) {
  const clock = new ManualClock('2030-01-01T00:00:00Z');
  return { clock, limiter: new InProcessFailureLimiter({ limit, windowSeconds, clock }) };
}

describe('the in-process failure limiter', () => {
  it('lets a key fail up to the limit, then refuses it until the window has passed', async () => {
    const { clock, limiter: l } = limiter();
    expect(await l.fail('k')).toBeNull();
    expect(await l.fail('k')).toBeNull();
    expect(await l.check('k')).toBeNull();
    expect(await l.fail('k')).toBe(60);
    expect(await l.check('k')).toBe(60);
    clock.advance(45);
    expect(await l.check('k')).toBe(15);
    clock.advance(15);
    expect(await l.check('k')).toBeNull();
  });

  it('counts within a sliding window: old failures stop counting one by one', async () => {
    const { clock, limiter: l } = limiter();
    await l.fail('k');
    clock.advance(30);
    await l.fail('k');
    await l.fail('k');
    expect(await l.check('k')).toBe(30);
    clock.advance(30);
    // The first failure left the window; the other two still count.
    expect(await l.check('k')).toBeNull();
    expect(await l.fail('k')).toBe(30);
  });

  it('keeps keys apart and forgets a key on reset', async () => {
    const { limiter: l } = limiter(1);
    await l.fail('a');
    expect(await l.check('a')).toBe(60);
    expect(await l.check('b')).toBeNull();
    await l.reset('a');
    expect(await l.check('a')).toBeNull();
  });

  it('forgets the stalest keys beyond its capacity instead of growing without bound', async () => {
    const clock = new ManualClock();
    const l = new InProcessFailureLimiter({ limit: 1, windowSeconds: 60, clock, maxKeys: 2 });
    await l.fail('a');
    await l.fail('b');
    await l.fail('c');
    expect(await l.check('a')).toBeNull();
    expect(await l.check('b')).toBe(60);
    expect(await l.check('c')).toBe(60);
  });
});
