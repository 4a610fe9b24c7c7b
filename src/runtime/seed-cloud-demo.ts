import { SYSTEM_ACTOR } from '../audit/audit-log.ts';
import { cloudConnectorFor } from '../cloud/instance/cloud-connector.ts';
import { assignSeat } from '../cloud/instance/seats.service.ts';
import type { LicenseAuthorityDeps } from '../cloud/license-authority/license-authority-deps.ts';
import { createLicense } from '../cloud/license-authority/license.service.ts';
import { findUserByUsername } from '../store/users.repository.ts';
import type { InstanceContext } from './instance-context.ts';

const DEMO_ADD_ON = 'duo_enterprise';

/**
 * The AI part of `npm start`'s demo, once: the license authority creates a demo license
 * (duo_enterprise, 10 seats), the instance activates it and syncs, and root gets a seat — so
 * `POST /api/v4/code_suggestions/direct_access` with root's token answers at once. Later starts
 * find the license activated and only make sure a valid instance token is stored.
 */
export async function seedCloudDemo(
  context: InstanceContext,
  authority: LicenseAuthorityDeps,
): Promise<string[]> {
  const cloud = cloudConnectorFor(context);
  let status = await cloud.status();
  if (status.license === null) {
    const { activationCode } = await createLicense(authority, SYSTEM_ACTOR, {
      licensee: 'Tessera demo',
      plan: 'ultimate',
      addOns: [{ name: DEMO_ADD_ON, seats: 10 }],
    });
    status = await cloud.activate(SYSTEM_ACTOR, activationCode);
  }
  const root = await findUserByUsername(context.db, 'root');
  const seated = root ? (await assignSeat(cloud.deps, SYSTEM_ACTOR, DEMO_ADD_ON, root.id)).created : false;
  // Sync again after a new seat, so the authority counts it; and whenever no valid token is held.
  if (seated || status.instance_token === null || status.instance_token.expired)
    status = await cloud.syncNow();
  const base = context.settings.externalUrl;
  return [
    `AI access:     ${status.sync.last_error ?? `instance ${status.instance_id} holds an instance token until ${status.instance_token?.expires_at}`}`,
    `try:           curl -X POST -H "PRIVATE-TOKEN: <root token>" ${base}/api/v4/code_suggestions/direct_access`,
  ];
}
