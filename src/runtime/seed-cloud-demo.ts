import { SYSTEM_ACTOR } from '../audit/audit-log.ts';
import { cloudConnectorFor } from '../cloud/instance/cloud-connector.ts';
import { assignSeat } from '../cloud/instance/seats.service.ts';
import type { LicenseAuthorityDeps } from '../cloud/license-authority/license-authority-deps.ts';
import { createLicense } from '../cloud/license-authority/license.service.ts';
import { readApplicationSetting, writeApplicationSetting } from '../store/application-settings.repository.ts';
import { findUserByUsername } from '../store/users.repository.ts';
import { isoNow } from '../util/clock.ts';
import type { InstanceContext } from './instance-context.ts';

const DEMO_ADD_ON = 'duo_enterprise';
/** Application setting recording when the AI demo was seeded: it is seeded once per database. */
export const CLOUD_DEMO_SEEDED_SETTING = 'demo_cloud_seeded';

/**
 * The AI part of `npm start`'s demo, once per database: the license authority creates a demo license
 * (duo_enterprise, 10 seats), the instance activates it and syncs, and root gets a seat — so
 * `POST /api/v4/code_suggestions/direct_access` with root's token answers at once. It is recorded
 * as the `demo_cloud_seeded` application setting (also when the instance already had a license of
 * its own), and later starts touch neither licenses nor seats: an administrator who revoked the
 * license, activated another or removed root's seat keeps it that way. They only sync when no valid
 * instance token is held, so direct_access works at once after a restart too.
 */
export async function seedCloudDemo(
  context: InstanceContext,
  authority: LicenseAuthorityDeps,
): Promise<string[]> {
  const cloud = cloudConnectorFor(context);
  let status = await cloud.status();
  if ((await readApplicationSetting(context.db, CLOUD_DEMO_SEEDED_SETTING)) === undefined) {
    let seated = false;
    if (status.license === null) {
      const { activationCode } = await createLicense(authority, SYSTEM_ACTOR, {
        licensee: 'Tessera demo',
        plan: 'ultimate',
        addOns: [{ name: DEMO_ADD_ON, seats: 10 }],
      });
      status = await cloud.activate(SYSTEM_ACTOR, activationCode);
      const root = await findUserByUsername(context.db, 'root');
      if (root) seated = (await assignSeat(cloud.deps, SYSTEM_ACTOR, DEMO_ADD_ON, root.id)).created;
    }
    const at = isoNow(context.clock);
    await writeApplicationSetting(context.db, CLOUD_DEMO_SEEDED_SETTING, at, at);
    // Sync again after a new seat, so the authority counts it.
    if (seated) status = await cloud.syncNow();
  }
  if (status.instance_token === null || status.instance_token.expired) status = await cloud.syncNow();
  const base = context.settings.externalUrl;
  return [
    `AI access:     ${status.sync.last_error ?? `instance ${status.instance_id} holds an instance token until ${status.instance_token?.expires_at}`}`,
    `try:           curl -X POST -H "PRIVATE-TOKEN: <root token>" ${base}/api/v4/code_suggestions/direct_access`,
  ];
}
