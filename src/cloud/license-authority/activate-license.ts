import { recordAudit, type Actor } from '../../audit/audit-log.ts';
import { randomSecret } from '../../crypto/secrets.ts';
import { badRequest, forbidden, notFound, TesseraError } from '../../errors/tessera-error.ts';
import { inTransaction } from '../../store/in-transaction.ts';
import { findLicenseByActivationCodeDigest, updateLicense } from '../../store/licenses.repository.ts';
import type { LicenseAuthorityDeps } from './license-authority-deps.ts';
import { storedAddOns, type LicensedAddOn } from './license-add-ons.ts';
import { licenseState, type LicenseState } from './license-state.ts';

/** The license keys the authority hands to activated instances carry this prefix (secret scanners). */
export const LICENSE_KEY_PREFIX = 'tslk-';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What an activated instance stores: the license's terms and the key it syncs with. */
export interface Activation {
  license: {
    id: number;
    licensee: string;
    plan: string;
    add_ons: LicensedAddOn[];
    starts_at: string;
    expires_at: string;
  };
  /** Shown to the instance once; the authority keeps its digest. */
  license_key: string;
}

/**
 * Activates a license for one instance: the code must name an active license not activated by another
 * instance. Activating again from the same instance (a reinstall) issues a new key and voids the old.
 */
export async function activateLicense(
  deps: LicenseAuthorityDeps,
  input: { activationCode: unknown; instanceId: unknown; ip: string | null },
): Promise<Activation> {
  const { activationCode, instanceId } = input;
  if (typeof activationCode !== 'string' || activationCode === '' || activationCode.length > 200) {
    throw badRequest('activation_code', 'is missing');
  }
  if (typeof instanceId !== 'string' || !UUID.test(instanceId)) {
    throw badRequest('instance_id', 'must be the instance UUID');
  }
  const licenseKey = LICENSE_KEY_PREFIX + randomSecret();
  return inTransaction(deps.db, async (trx) => {
    const license = await findLicenseByActivationCodeDigest(trx, deps.digester.digest(activationCode));
    if (!license) throw notFound('Activation code');
    refuseUnlessActive(licenseState(license, deps.clock), license.expires_at);
    if (license.instance_uuid !== null && license.instance_uuid !== instanceId) {
      throw new TesseraError('conflict', 'This license is already activated by another instance');
    }
    const activated = await updateLicense(trx, license.id, {
      license_key_digest: deps.digester.digest(licenseKey),
      instance_uuid: instanceId,
      activated_at: deps.clock.now().toISOString(),
    });
    const actor: Actor = { userId: null, name: `instance:${instanceId}`, ip: input.ip };
    await recordAudit(trx, deps.clock, actor, {
      action: 'license.activated',
      entity: { type: 'License', id: license.id },
      details: { instance_id: instanceId, reactivation: license.instance_uuid !== null },
    });
    return {
      license: {
        id: activated.id,
        licensee: activated.licensee,
        plan: activated.plan,
        add_ons: storedAddOns(activated.add_ons),
        starts_at: activated.starts_at,
        expires_at: activated.expires_at,
      },
      license_key: licenseKey,
    };
  });
}

/** The clear 403 an instance gets for a license that cannot be used now. */
export function refuseUnlessActive(state: LicenseState, expiresAt: string): void {
  if (state === 'revoked') throw forbidden('403 Forbidden - the license has been revoked');
  if (state === 'expired') throw forbidden(`403 Forbidden - the license expired at ${expiresAt}`);
  if (state === 'not_started') throw forbidden('403 Forbidden - the license has not started yet');
}
