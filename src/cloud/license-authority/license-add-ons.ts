import { badRequest } from '../../errors/tessera-error.ts';
import type { UnitPrimitiveCatalogue } from '../unit-primitive-catalogue.ts';

/** An add-on bought with a license, and how many users may hold a seat of it. */
export interface LicensedAddOn {
  name: string;
  seats: number;
}

/** Most seats one add-on of a license may carry: a sanity bound, not a business rule. */
const MAX_SEATS = 1_000_000;

/**
 * Validates the add-ons of a new license (`[{ name, seats }]`, or the CLI's `duo_pro:10` strings):
 * known add-ons from the catalogue, each once, seats a whole number ≥ 1.
 *
 * @example
 * parseLicensedAddOns(['duo_enterprise:25'], catalogue); // [{ name: 'duo_enterprise', seats: 25 }]
 */
export function parseLicensedAddOns(input: unknown, catalogue: UnitPrimitiveCatalogue): LicensedAddOn[] {
  if (!Array.isArray(input) || input.length === 0)
    throw badRequest('add_ons', 'must list at least one add-on');
  const addOns = input.map((entry: unknown): LicensedAddOn => {
    if (typeof entry === 'string') {
      const [name, seats] = entry.split(':');
      return { name: name ?? '', seats: Number(seats) };
    }
    const item = (entry ?? {}) as { name?: unknown; seats?: unknown };
    return { name: String(item.name ?? ''), seats: Number(item.seats) };
  });
  const seen = new Set<string>();
  for (const addOn of addOns) {
    if (!catalogue.isAddOn(addOn.name)) {
      throw badRequest(
        'add_ons',
        `names an unknown add-on "${addOn.name}" (known: ${catalogue.addOns.join(', ')})`,
      );
    }
    if (seen.has(addOn.name)) throw badRequest('add_ons', `names ${addOn.name} twice`);
    seen.add(addOn.name);
    if (!Number.isSafeInteger(addOn.seats) || addOn.seats < 1 || addOn.seats > MAX_SEATS) {
      throw badRequest('add_ons', `needs a whole number of seats ≥ 1 for ${addOn.name}`);
    }
  }
  return addOns;
}

/** The add-ons stored as JSON text, read back. */
export function storedAddOns(json: string): LicensedAddOn[] {
  return JSON.parse(json) as LicensedAddOn[];
}
