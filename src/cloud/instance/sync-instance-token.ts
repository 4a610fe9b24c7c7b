import { updateCloudConnectorState } from '../../store/cloud-connector-state.repository.ts';
import type { CloudConnectorState } from '../../store/cloud-connector.tables.ts';
import { SEALED, type CloudConnectorDeps } from './cloud-connector-deps.ts';
import { cloudConnectorState } from './instance-identity.ts';
import { instanceTokenSource } from './instance-token-source.ts';
import { UpstreamError } from './upstream-call.ts';

/** What one sync did. `idle`: nothing to sync yet (not activated, no service-account token). */
export type SyncOutcome =
  | { result: 'success'; state: CloudConnectorState }
  | { result: 'failure'; state: CloudConnectorState; error: string }
  | { result: 'idle'; state: CloudConnectorState };

/**
 * One sync: obtains a fresh instance token from the realm's and mode's source and stores it sealed,
 * or records why it could not. Never throws for an upstream refusal or outage; the previous token
 * stays stored (and usable until it expires). Status lands in the store, so every replica and the
 * CLI see it.
 */
export async function syncInstanceToken(deps: CloudConnectorDeps): Promise<SyncOutcome> {
  const state = await cloudConnectorState(deps.db, deps.clock);
  const source = instanceTokenSource(deps, state);
  if (!source) return { result: 'idle', state };
  const attemptedAt = deps.clock.now().toISOString();
  try {
    const fresh = await source();
    const stored = await updateCloudConnectorState(deps.db, {
      instance_token_encrypted: deps.box.seal(fresh.token, SEALED.instanceToken),
      instance_token_issuer: fresh.issuer,
      instance_token_scopes: JSON.stringify(fresh.scopes),
      instance_token_expires_at: new Date(fresh.expiresAt * 1000).toISOString(),
      last_sync_attempt_at: attemptedAt,
      last_sync_success_at: attemptedAt,
      last_sync_error: null,
      sync_failures: 0,
    });
    deps.metrics.syncs.inc({ result: 'success' });
    deps.metrics.syncFailures.set(0);
    deps.metrics.instanceTokenExpiry.set(fresh.expiresAt);
    deps.logger.info(
      { issuer: fresh.issuer, expires_at: stored.instance_token_expires_at, scopes: fresh.scopes.length },
      'cloud connector: instance token synced',
    );
    return { result: 'success', state: stored };
  } catch (error) {
    if (!(error instanceof UpstreamError)) deps.logger.error({ err: error }, 'cloud connector: sync failed');
    const message = error instanceof UpstreamError ? error.message : 'internal error (see the log)';
    const stored = await updateCloudConnectorState(deps.db, {
      last_sync_attempt_at: attemptedAt,
      last_sync_error: message,
      sync_failures: state.sync_failures + 1,
    });
    deps.metrics.syncs.inc({ result: 'failure' });
    deps.metrics.syncFailures.set(stored.sync_failures);
    deps.logger.warn({ failures: stored.sync_failures, error: message }, 'cloud connector: sync failed');
    return { result: 'failure', state: stored, error: message };
  }
}

/**
 * Seconds until the next sync: after a failure, exponential backoff from the retry base up to the
 * sync interval; after a success, the interval, but soon enough that a token is renewed when half
 * its remaining life is gone; when idle, the interval.
 */
export function nextSyncDelaySeconds(
  outcome: SyncOutcome,
  policy: { syncIntervalSeconds: number; retryBaseSeconds: number },
  now: Date,
): number {
  const { syncIntervalSeconds, retryBaseSeconds } = policy;
  if (outcome.result === 'failure') {
    const exponent = Math.min(outcome.state.sync_failures - 1, 30);
    return Math.min(retryBaseSeconds * 2 ** exponent, syncIntervalSeconds);
  }
  const expiresAt = outcome.state.instance_token_expires_at;
  if (outcome.result === 'idle' || expiresAt === null) return syncIntervalSeconds;
  const remaining = (new Date(expiresAt).getTime() - now.getTime()) / 1000;
  return Math.max(1, Math.min(syncIntervalSeconds, Math.floor(remaining / 2)));
}
