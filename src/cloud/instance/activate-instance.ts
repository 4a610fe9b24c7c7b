import { recordAudit, type Actor } from '../../audit/audit-log.ts';
import { badRequest, forbidden, TesseraError } from '../../errors/tessera-error.ts';
import { updateCloudConnectorState } from '../../store/cloud-connector-state.repository.ts';
import type { CloudConnectorState } from '../../store/cloud-connector.tables.ts';
import { inTransaction } from '../../store/in-transaction.ts';
import { SEALED, type CloudConnectorDeps } from './cloud-connector-deps.ts';
import { cloudConnectorState } from './instance-identity.ts';
import { postJson, UpstreamError } from './upstream-call.ts';

interface ActivationAnswer {
  license: {
    id: number;
    licensee: string;
    plan: string;
    add_ons: unknown[];
    starts_at: string;
    expires_at: string;
  };
  license_key: string;
}

/**
 * Activates this (self-managed, license-mode) instance with an activation code: the license authority
 * checks the code and answers the license and a license key, which is stored sealed. The caller syncs
 * right after to obtain the first instance token.
 */
export async function activateInstance(
  deps: CloudConnectorDeps,
  actor: Actor,
  activationCode: string,
): Promise<CloudConnectorState> {
  if (deps.settings.realm === 'saas') {
    throw forbidden(
      '403 Forbidden - a SaaS-realm instance signs its own instance tokens and needs no license',
    );
  }
  if (deps.settings.cloudConnector.mode !== 'license') {
    throw forbidden('403 Forbidden - the instance is in service_account mode; licenses are not used');
  }
  const code = activationCode.trim();
  if (code === '' || code.length > 200) throw badRequest('activation_code', 'is missing');
  const state = await cloudConnectorState(deps.db, deps.clock);
  let answer: ActivationAnswer;
  try {
    answer = (await postJson(
      deps.fetch,
      `${deps.settings.cloudConnector.licenseAuthorityUrl}/api/v1/activate`,
      'the license authority',
      { body: { activation_code: code, instance_id: state.instance_uuid } },
    )) as unknown as ActivationAnswer;
  } catch (error) {
    throw asTesseraError(error);
  }
  if (typeof answer.license_key !== 'string' || typeof answer.license?.id !== 'number') {
    throw new TesseraError('unavailable', 'The license authority answered an unexpected activation');
  }
  const now = deps.clock.now().toISOString();
  return inTransaction(deps.db, async (trx) => {
    const activated = await updateCloudConnectorState(trx, {
      license_id: String(answer.license.id),
      license_key_encrypted: deps.box.seal(answer.license_key, SEALED.licenseKey),
      licensee: answer.license.licensee,
      plan: answer.license.plan,
      license_add_ons: JSON.stringify(answer.license.add_ons),
      license_starts_at: answer.license.starts_at,
      license_expires_at: answer.license.expires_at,
      activated_at: now,
      last_sync_error: null,
      sync_failures: 0,
    });
    await recordAudit(trx, deps.clock, actor, {
      action: 'cloud_connector.license_activated',
      entity: { type: 'CloudConnector', id: state.instance_uuid },
      details: {
        license_id: answer.license.id,
        licensee: answer.license.licensee,
        plan: answer.license.plan,
      },
    });
    return activated;
  });
}

function asTesseraError(error: unknown): Error {
  if (!(error instanceof UpstreamError)) return error as Error;
  const message = error.message.replace(/^the license authority answered \d+: /, '');
  if (error.status === 404) return new TesseraError('not_found', '404 Activation code Not Found');
  if (error.status === 403) return forbidden(message);
  if (error.status === 409) return new TesseraError('conflict', message);
  if (error.status === 400) return badRequest('activation_code', 'is invalid');
  return new TesseraError('unavailable', `503 Service Unavailable - ${error.message}`);
}
