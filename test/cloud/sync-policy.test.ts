import { describe, expect, it } from 'vitest';
import { nextSyncDelaySeconds, type SyncOutcome } from '../../src/cloud/instance/sync-instance-token.ts';
import type { CloudConnectorState } from '../../src/store/cloud-connector.tables.ts';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const policy = { syncIntervalSeconds: 1800, retryBaseSeconds: 10 };
const state = (fields: Partial<CloudConnectorState>) =>
  ({ sync_failures: 0, instance_token_expires_at: null, ...fields }) as CloudConnectorState;

describe('when the next sync runs', () => {
  it('backs off exponentially after failures, up to the sync interval', () => {
    const after = (failures: number) =>
      nextSyncDelaySeconds(
        { result: 'failure', state: state({ sync_failures: failures }), error: 'x' },
        policy,
        NOW,
      );
    expect([1, 2, 3, 4, 8, 50].map(after)).toEqual([10, 20, 40, 80, 1280, 1800]);
  });

  it('after a success waits the interval, or half the token remaining life when that is sooner', () => {
    const success = (expiresInSeconds: number): SyncOutcome => ({
      result: 'success',
      state: state({
        instance_token_expires_at: new Date(NOW.getTime() + expiresInSeconds * 1000).toISOString(),
      }),
    });
    expect(nextSyncDelaySeconds(success(3 * 86400), policy, NOW)).toBe(1800);
    expect(nextSyncDelaySeconds(success(3600), policy, NOW)).toBe(1800);
    expect(nextSyncDelaySeconds(success(1200), policy, NOW)).toBe(600);
    expect(nextSyncDelaySeconds(success(1), policy, NOW)).toBe(1);
  });

  it('waits the interval when there is nothing to sync yet', () => {
    expect(nextSyncDelaySeconds({ result: 'idle', state: state({}) }, policy, NOW)).toBe(1800);
  });
});
