import { recordAudit, type Actor } from '../../audit/audit-log.ts';
import { randomAlphanumeric } from '../../crypto/secrets.ts';
import { badRequest, notFound } from '../../errors/tessera-error.ts';
import { inTransaction } from '../../store/in-transaction.ts';
import {
  findLicenseById,
  insertLicense,
  listLicenses as listLicenseRows,
  updateLicense,
} from '../../store/licenses.repository.ts';
import type { LicenseAuthorityDeps } from './license-authority-deps.ts';
import { parseLicensedAddOns } from './license-add-ons.ts';
import { licenseView, type LicenseView } from './license-state.ts';

/** What the authority's admin says about a new license. */
export interface NewLicenseInput {
  licensee: string;
  email?: string;
  /** `premium`, `ultimate`, …: informational. */
  plan: string;
  /** `[{ name, seats }]` or `['duo_pro:10']`. */
  addOns: unknown;
  /** ISO date or date-time; default now. */
  startsAt?: string;
  /** ISO date or date-time; default a year after the start. */
  expiresAt?: string;
}

/** Activation codes are typed by people: 24 characters, no padding. */
/** Letters and digits (about 143 bits), as GitLab's codes: pasted as an argument, never mistaken for an option. */
const ACTIVATION_CODE_LENGTH = 24;
const DEFAULT_TERM_DAYS = 365;

/**
 * Creates a license and returns it with its activation code — the only time the code exists in
 * plaintext; the store keeps its digest.
 *
 * @example
 * const { license, activationCode } = await createLicense(deps, actor, {
 *   licensee: 'ACME', plan: 'ultimate', addOns: [{ name: 'duo_enterprise', seats: 25 }],
 * });
 */
export async function createLicense(
  deps: LicenseAuthorityDeps,
  actor: Actor,
  input: NewLicenseInput,
): Promise<{ license: LicenseView; activationCode: string }> {
  const licensee = input.licensee?.trim();
  if (!licensee) throw badRequest('licensee', 'is missing');
  if (licensee.length > 255) throw badRequest('licensee', 'is too long (maximum is 255 characters)');
  const plan = input.plan?.trim();
  if (!plan || !/^[a-z][a-z0-9_]{0,49}$/.test(plan)) throw badRequest('plan', 'must be a lowercase word');
  const addOns = parseLicensedAddOns(input.addOns, deps.catalogue);
  const now = deps.clock.now();
  const startsAt = instant('starts_at', input.startsAt) ?? now.toISOString();
  const expiresAt =
    instant('expires_at', input.expiresAt) ??
    new Date(new Date(startsAt).getTime() + DEFAULT_TERM_DAYS * 86_400_000).toISOString();
  if (expiresAt <= startsAt) throw badRequest('expires_at', 'must be after starts_at');

  const activationCode = randomAlphanumeric(ACTIVATION_CODE_LENGTH);
  const license = await inTransaction(deps.db, async (trx) => {
    const row = await insertLicense(trx, {
      licensee,
      email: input.email?.trim() ?? '',
      plan,
      add_ons: JSON.stringify(addOns),
      starts_at: startsAt,
      expires_at: expiresAt,
      revoked: 0,
      revoked_at: null,
      activation_code_digest: deps.digester.digest(activationCode),
      license_key_digest: null,
      instance_uuid: null,
      activated_at: null,
      last_sync_at: null,
      seats_in_use: '{}',
      created_at: now.toISOString(),
    });
    await recordAudit(trx, deps.clock, actor, {
      action: 'license.created',
      entity: { type: 'License', id: row.id },
      details: { licensee, plan, add_ons: addOns, starts_at: startsAt, expires_at: expiresAt },
    });
    return row;
  });
  return { license: licenseView(license, deps.clock), activationCode };
}

/** Revokes a license: its next sync is refused and it is never issued an instance token again. */
export async function revokeLicense(
  deps: LicenseAuthorityDeps,
  actor: Actor,
  id: number,
): Promise<LicenseView> {
  const license = await inTransaction(deps.db, async (trx) => {
    const row = await findLicenseById(trx, id);
    if (!row) throw notFound('License');
    if (row.revoked === 1) return row;
    const revoked = await updateLicense(trx, id, { revoked: 1, revoked_at: deps.clock.now().toISOString() });
    await recordAudit(trx, deps.clock, actor, {
      action: 'license.revoked',
      entity: { type: 'License', id },
      details: { licensee: row.licensee, instance_id: row.instance_uuid },
    });
    return revoked;
  });
  return licenseView(license, deps.clock);
}

export async function listLicenses(deps: LicenseAuthorityDeps): Promise<LicenseView[]> {
  return (await listLicenseRows(deps.db)).map((row) => licenseView(row, deps.clock));
}

export async function showLicense(deps: LicenseAuthorityDeps, id: number): Promise<LicenseView> {
  const row = await findLicenseById(deps.db, id);
  if (!row) throw notFound('License');
  return licenseView(row, deps.clock);
}

function instant(field: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(value) ? new Date(value) : new Date(NaN);
  if (Number.isNaN(parsed.getTime())) throw badRequest(field, 'must be an ISO 8601 date');
  return parsed.toISOString();
}
