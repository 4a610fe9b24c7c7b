import { randomUUID } from 'node:crypto';
import {
  findCloudConnectorState,
  insertCloudConnectorStateOnce,
} from '../../store/cloud-connector-state.repository.ts';
import type { CloudConnectorState } from '../../store/cloud-connector.tables.ts';
import type { Executor } from '../../store/database.ts';
import type { Clock } from '../../util/clock.ts';

/**
 * The instance's Cloud Connector row, created on first use with a fresh instance UUID — the `sub`
 * of its instance tokens and the `X-Gitlab-Instance-Id` of its users' AI requests. The UUID never
 * changes afterwards.
 */
export async function cloudConnectorState(db: Executor, clock: Clock): Promise<CloudConnectorState> {
  return (
    (await findCloudConnectorState(db)) ??
    (await insertCloudConnectorStateOnce(db, {
      instance_uuid: randomUUID(),
      license_add_ons: '[]',
      instance_token_scopes: '[]',
      sync_failures: 0,
      created_at: clock.now().toISOString(),
    }))
  );
}
