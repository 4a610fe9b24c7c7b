import { badRequest, forbidden, unauthorized } from '../../errors/tessera-error.ts';
import { findLicenseByKeyDigest, updateLicense } from '../../store/licenses.repository.ts';
import { LICENSE_KEY_PREFIX, refuseUnlessActive } from './activate-license.ts';
import { instanceTokenClaims } from './instance-token-claims.ts';
import { LICENSE_AUTHORITY_KEY_ROLE, type LicenseAuthorityDeps } from './license-authority-deps.ts';
import { storedAddOns, type LicensedAddOn } from './license-add-ons.ts';
import { licenseState } from './license-state.ts';

/** An instance token as the authority answers it. */
export interface IssuedInstanceToken {
  token: string;
  /** Epoch seconds. */
  expires_at: number;
  scopes: string[];
}

/**
 * The sync step of the license authority: an activated instance presents its license key, its UUID and
 * the seats it has assigned; the license must be active and the seats within what was bought. Answers
 * an instance token signed with the authority's key: `iss` = the authority, `aud` = the backend
 * services, `sub` = the instance UUID, `gitlab_realm` = `self-managed`, `scopes` = the unit
 * primitives of the license's add-ons.
 */
export async function issueInstanceToken(
  deps: LicenseAuthorityDeps,
  input: { licenseKey: string | undefined; instanceId: unknown; seatsInUse: unknown },
): Promise<IssuedInstanceToken> {
  const { licenseKey } = input;
  if (!licenseKey || !licenseKey.startsWith(LICENSE_KEY_PREFIX) || licenseKey.length > 200)
    throw unauthorized();
  const license = await findLicenseByKeyDigest(deps.db, deps.digester.digest(licenseKey));
  if (!license) throw unauthorized();
  if (input.instanceId !== license.instance_uuid) {
    throw forbidden('403 Forbidden - the license is activated for another instance');
  }
  const seatsInUse = parseSeats(input.seatsInUse);
  // Record what was reported even when refused: the vendor sees the overuse.
  await updateLicense(deps.db, license.id, {
    last_sync_at: deps.clock.now().toISOString(),
    seats_in_use: JSON.stringify(seatsInUse),
  });
  refuseUnlessActive(licenseState(license, deps.clock), license.expires_at);
  const addOns = storedAddOns(license.add_ons);
  refuseSeatOveruse(addOns, seatsInUse);

  const claims = instanceTokenClaims(
    addOns.map((a) => a.name),
    deps.catalogue,
    'self-managed',
  );
  const token = await deps.keys.signJwt(
    LICENSE_AUTHORITY_KEY_ROLE,
    { gitlab_realm: claims.gitlab_realm, scopes: claims.scopes },
    {
      typ: 'JWT',
      issuer: deps.issuer,
      audience: claims.audience,
      subject: input.instanceId as string,
      expiresInSeconds: deps.instanceTokenLifetimeSeconds,
    },
  );
  deps.metrics.tokensIssued.inc({ type: 'instance_token' });
  const expiresAt = Math.floor(deps.clock.now().getTime() / 1000) + deps.instanceTokenLifetimeSeconds;
  return { token, expires_at: expiresAt, scopes: claims.scopes };
}

function parseSeats(value: unknown): Record<string, number> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw badRequest('seats', 'must map add-ons to counts');
  const seats: Record<string, number> = {};
  for (const [addOn, count] of Object.entries(value)) {
    if (!Number.isSafeInteger(count) || (count as number) < 0) {
      throw badRequest('seats', `needs a whole number for ${addOn}`);
    }
    if ((count as number) > 0) seats[addOn] = count as number;
  }
  return seats;
}

function refuseSeatOveruse(addOns: readonly LicensedAddOn[], seatsInUse: Record<string, number>): void {
  const over = Object.entries(seatsInUse)
    .map(([name, used]) => ({ name, used, bought: addOns.find((a) => a.name === name)?.seats ?? 0 }))
    .filter((entry) => entry.used > entry.bought);
  if (over.length > 0) {
    const detail = over.map((o) => `${o.name} ${o.used} assigned, ${o.bought} purchased`).join('; ');
    throw forbidden(`403 Forbidden - seats in use exceed the license (${detail})`);
  }
}
