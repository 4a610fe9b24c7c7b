import { recordAudit, type Actor } from '../../audit/audit-log.ts';
import { forbidden, notFound, TesseraError } from '../../errors/tessera-error.ts';
import {
  addOnsOfUser,
  countAddOnSeats,
  deleteAddOnSeat,
  insertAddOnSeat,
  listAddOnSeats,
  lockAddOnSeats,
} from '../../store/add-on-seats.repository.ts';
import type { AddOnSeat, CloudConnectorState } from '../../store/cloud-connector.tables.ts';
import { inTransaction } from '../../store/in-transaction.ts';
import { findUserById } from '../../store/users.repository.ts';
import type { LicensedAddOn } from '../license-authority/license-add-ons.ts';
import type { CloudConnectorDeps } from './cloud-connector-deps.ts';
import { cloudConnectorState } from './instance-identity.ts';

/** One add-on as the instance sees it: seats bought (null: not limited here) and assigned. */
export interface AddOnView {
  name: string;
  purchased: number | null;
  assigned: number;
  unit_primitives: string[];
}

/** A seat as the API shows it. */
export interface SeatView {
  add_on: string;
  user_id: number;
  username: string;
  name: string;
  assigned_at: string;
}

/**
 * Seats bought per add-on, or null when this instance does not limit them: on a SaaS-realm instance
 * and in `service_account` mode the vendor's side counts. A license-mode instance without a license
 * has none.
 */
export function purchasedSeats(
  deps: CloudConnectorDeps,
  state: CloudConnectorState,
): Record<string, number> | null {
  if (deps.settings.realm === 'saas' || deps.settings.cloudConnector.mode === 'service_account') return null;
  const addOns = JSON.parse(state.license_add_ons) as LicensedAddOn[];
  return Object.fromEntries(addOns.map((a) => [a.name, a.seats]));
}

/** Every add-on of the catalogue with its seat counts. */
export async function listAddOns(deps: CloudConnectorDeps): Promise<AddOnView[]> {
  const state = await cloudConnectorState(deps.db, deps.clock);
  const purchased = purchasedSeats(deps, state);
  const assigned = await countAddOnSeats(deps.db);
  return deps.catalogue.addOns.map((name) => ({
    name,
    purchased: purchased === null ? null : (purchased[name] ?? 0),
    assigned: assigned[name] ?? 0,
    unit_primitives: deps.catalogue.primitivesFor([name]),
  }));
}

/**
 * Gives a user a seat of an add-on (an admin's decision): refused when the license bought no seat
 * left. Assigning a seat the user already holds changes nothing (`created: false`).
 */
export async function assignSeat(
  deps: CloudConnectorDeps,
  actor: Actor,
  addOn: string,
  userId: number,
): Promise<{ seat: SeatView; created: boolean }> {
  if (!deps.catalogue.isAddOn(addOn)) throw notFound('Add-on');
  return inTransaction(deps.db, async (trx) => {
    await lockAddOnSeats(trx, addOn);
    const user = await findUserById(trx, userId);
    if (!user) throw notFound('User');
    const state = await cloudConnectorState(trx, deps.clock);
    const existing = (await addOnsOfUser(trx, userId)).includes(addOn);
    if (!existing) {
      const purchased = purchasedSeats(deps, state);
      if (purchased !== null) {
        const bought = purchased[addOn] ?? 0;
        const used = (await countAddOnSeats(trx))[addOn] ?? 0;
        if (bought === 0 && state.license_id === null) {
          throw forbidden('403 Forbidden - activate a license before assigning seats');
        }
        if (used >= bought) {
          throw new TesseraError(
            'unprocessable',
            `422 Unprocessable Entity - no seat of ${addOn} is available (${used} of ${bought} assigned)`,
          );
        }
      }
    }
    const inserted = existing
      ? undefined
      : await insertAddOnSeat(trx, { addOn, userId, assignedAt: deps.clock.now().toISOString() });
    if (inserted) {
      await recordAudit(trx, deps.clock, actor, {
        action: 'add_on_seat.assigned',
        entity: { type: 'AddOnSeat', id: inserted.id },
        target: { type: 'User', id: user.id, details: user.username },
        details: { add_on: addOn },
      });
    }
    const seat = inserted ?? (await seatOf(trx, addOn, userId));
    return {
      seat: {
        add_on: addOn,
        user_id: user.id,
        username: user.username,
        name: user.name,
        assigned_at: seat.assigned_at,
      },
      created: inserted !== undefined,
    };
  });
}

/** Takes a user's seat away; 404 when they had none. Tokens already issued live until they expire. */
export async function unassignSeat(
  deps: CloudConnectorDeps,
  actor: Actor,
  addOn: string,
  userId: number,
): Promise<void> {
  if (!deps.catalogue.isAddOn(addOn)) throw notFound('Add-on');
  await inTransaction(deps.db, async (trx) => {
    if (!(await deleteAddOnSeat(trx, addOn, userId))) throw notFound('Seat');
    await recordAudit(trx, deps.clock, actor, {
      action: 'add_on_seat.unassigned',
      entity: { type: 'AddOnSeat', id: null },
      target: { type: 'User', id: userId },
      details: { add_on: addOn },
    });
  });
}

export async function listSeats(deps: CloudConnectorDeps, addOn: string): Promise<SeatView[]> {
  if (!deps.catalogue.isAddOn(addOn)) throw notFound('Add-on');
  return (await listAddOnSeats(deps.db, addOn)).map(({ seat, user }) => ({
    add_on: seat.add_on,
    user_id: user.id,
    username: user.username,
    name: user.name,
    assigned_at: seat.assigned_at,
  }));
}

async function seatOf(
  db: Parameters<typeof listAddOnSeats>[0],
  addOn: string,
  userId: number,
): Promise<AddOnSeat> {
  const found = (await listAddOnSeats(db, addOn)).find((row) => row.user.id === userId);
  if (!found) throw notFound('Seat');
  return found.seat;
}
