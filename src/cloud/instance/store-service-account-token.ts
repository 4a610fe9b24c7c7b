import { recordAudit, type Actor } from '../../audit/audit-log.ts';
import { badRequest, forbidden } from '../../errors/tessera-error.ts';
import { updateCloudConnectorState } from '../../store/cloud-connector-state.repository.ts';
import { inTransaction } from '../../store/in-transaction.ts';
import { SEALED, type CloudConnectorDeps } from './cloud-connector-deps.ts';
import { cloudConnectorState } from './instance-identity.ts';

/**
 * Stores (sealed) the access token of the service account on the SaaS instance, used in
 * `service_account` mode to obtain instance tokens. Replacing it drops the instance token obtained
 * with the previous one only at the next sync.
 */
export async function storeServiceAccountToken(
  deps: CloudConnectorDeps,
  actor: Actor,
  token: string,
): Promise<void> {
  if (deps.settings.cloudConnector.mode !== 'service_account' || deps.settings.realm === 'saas') {
    throw forbidden('403 Forbidden - the instance is not in service_account mode');
  }
  if (token.trim() === '' || token.length > 1024) throw badRequest('token', 'is missing');
  const state = await cloudConnectorState(deps.db, deps.clock);
  await inTransaction(deps.db, async (trx) => {
    await updateCloudConnectorState(trx, {
      service_account_token_encrypted: deps.box.seal(token.trim(), SEALED.serviceAccountToken),
      last_sync_error: null,
      sync_failures: 0,
    });
    await recordAudit(trx, deps.clock, actor, {
      action: 'cloud_connector.service_account_token_stored',
      entity: { type: 'CloudConnector', id: state.instance_uuid },
      details: { saas_url: deps.settings.cloudConnector.saasUrl },
    });
  });
}
