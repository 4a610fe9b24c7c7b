import type { License } from '../../store/cloud-connector.tables.ts';
import type { Clock } from '../../util/clock.ts';
import { storedAddOns, type LicensedAddOn } from './license-add-ons.ts';

/** Where a license stands now. Only an `active` license gets instance tokens. */
export type LicenseState = 'active' | 'not_started' | 'expired' | 'revoked';

export function licenseState(license: License, clock: Clock): LicenseState {
  if (license.revoked === 1) return 'revoked';
  const now = clock.now().toISOString();
  if (license.starts_at > now) return 'not_started';
  if (license.expires_at <= now) return 'expired';
  return 'active';
}

/** A license as the authority's admin API shows it (never a code, key or digest). */
export interface LicenseView {
  id: number;
  licensee: string;
  email: string;
  plan: string;
  add_ons: LicensedAddOn[];
  starts_at: string;
  expires_at: string;
  state: LicenseState;
  revoked: boolean;
  revoked_at: string | null;
  activated: boolean;
  activated_at: string | null;
  instance_id: string | null;
  last_sync_at: string | null;
  seats_in_use: Record<string, number>;
  created_at: string;
}

export function licenseView(license: License, clock: Clock): LicenseView {
  return {
    id: license.id,
    licensee: license.licensee,
    email: license.email,
    plan: license.plan,
    add_ons: storedAddOns(license.add_ons),
    starts_at: license.starts_at,
    expires_at: license.expires_at,
    state: licenseState(license, clock),
    revoked: license.revoked === 1,
    revoked_at: license.revoked_at,
    activated: license.license_key_digest !== null,
    activated_at: license.activated_at,
    instance_id: license.instance_uuid,
    last_sync_at: license.last_sync_at,
    seats_in_use: JSON.parse(license.seats_in_use) as Record<string, number>,
    created_at: license.created_at,
  };
}
