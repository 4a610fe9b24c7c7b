import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';
import { SharedWorkflowRevocations } from '../../src/runtime/shared-workflow-revocations.ts';
import {
  latestWorkflowRevocationVersion,
  listWorkflowRevocationsChangedSince,
} from '../../src/store/workflow-revocations.repository.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { ENGINES, createTestDatabase, type TestDatabase } from '../support/databases.ts';

const LIFETIME_SECONDS = 3600;

/*
 * The shared revocation list as two replicas see it, without gRPC: each has its own mirror over one
 * store. Polling is driven by hand (`poll()`), so what one replica knows of the other's changes is
 * exactly what the store told it.
 */
describe.each(ENGINES)('workflow revocations shared through the %s store', (engine) => {
  let store: TestDatabase;
  const clock = new ManualClock('2026-12-01T10:00:00Z');
  let a: SharedWorkflowRevocations;
  let b: SharedWorkflowRevocations;
  const open = () =>
    SharedWorkflowRevocations.open({
      db: store.db,
      clock,
      logger: createLogger({ level: 'silent' }),
      tokenLifetimeSeconds: LIFETIME_SECONDS,
      pollMs: 3_600_000,
      maxEntries: 5,
    });

  beforeAll(async () => {
    store = await createTestDatabase(engine);
    [a, b] = [await open(), await open()];
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await store?.destroy();
  });

  it('a revocation made on A reaches B at its next poll, and one made before B started is loaded at start', async () => {
    expect(await a.revoke('i1', 'w1')).toBe(true);
    expect(a.isRevoked('i1', 'w1', 'old-jti')).toBe(true);
    expect(b.isRevoked('i1', 'w1', 'old-jti')).toBe(false);
    await b.poll();
    expect(b.isRevoked('i1', 'w1', 'old-jti')).toBe(true);
    const c = await open();
    try {
      expect(c.isRevoked('i1', 'w1', 'old-jti')).toBe(true);
      expect(c.isRevoked('i2', 'w1', 'old-jti')).toBe(false);
    } finally {
      await c.close();
    }
  });

  it('a fresh token noted on A is confirmed by B before B refuses it, even before B polled', async () => {
    await a.revoke('i1', 'w2');
    await b.poll();
    const generation = await b.generationOf('i1', 'w2');
    expect(generation).toBeGreaterThan(0);
    await a.noteGenerated('i1', 'w2', 'fresh-jti', generation);
    expect(b.isRevoked('i1', 'w2', 'fresh-jti')).toBe(true); // B's mirror is behind…
    expect(await b.confirmRevoked('i1', 'w2', 'fresh-jti')).toBe(false); // …the store is not
    expect(b.isRevoked('i1', 'w2', 'fresh-jti')).toBe(false);
    expect(await b.confirmRevoked('i1', 'w2', 'other-jti')).toBe(true);
  });

  it('a token signed while another revocation came in is not noted as fresh', async () => {
    await a.revoke('i1', 'w3');
    const generation = await a.generationOf('i1', 'w3');
    expect(await b.revoke('i1', 'w3')).toBe(false); // nothing generated since the first one
    await a.noteGenerated('i1', 'w3', 'raced-jti', generation);
    expect(await a.confirmRevoked('i1', 'w3', 'raced-jti')).toBe(true);
    // With a fresh token noted, revoking again revokes something new.
    await a.noteGenerated('i1', 'w3', 'fresh-jti', await a.generationOf('i1', 'w3'));
    expect(await b.revoke('i1', 'w3')).toBe(true);
  });

  it('polling asks only for changes after the last version seen, and stream cuts follow the mirror', async () => {
    const since = await latestWorkflowRevocationVersion(store.db);
    const cut: string[] = [];
    b.track('i1', 'w4', 'jti-open', () => cut.push('w4'));
    await a.revoke('i1', 'w4');
    const changed = await listWorkflowRevocationsChangedSince(store.db, since, clock.now().toISOString());
    expect(changed.map((r) => r.workflowId)).toEqual(['w4']);
    expect(cut).toEqual([]);
    await b.poll();
    expect(cut).toEqual(['w4']);
  });

  it('refuses a revocation beyond the limit, and forgets revocations once every token they refuse has expired', async () => {
    await a.revoke('i1', 'w5');
    await expect(a.revoke('i1', 'w6')).rejects.toBeInstanceOf(RangeError);
    clock.advance(LIFETIME_SECONDS + 61);
    expect(a.isRevoked('i1', 'w1', 'old-jti')).toBe(false);
    expect(await a.revoke('i1', 'w6')).toBe(true);
    await b.poll();
    expect(b.isRevoked('i1', 'w1', 'old-jti')).toBe(false);
    expect(b.isRevoked('i1', 'w6', 'old-jti')).toBe(true);
  });
});
