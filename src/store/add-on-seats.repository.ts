import { PostgresAdapter, sql } from 'kysely';
import type { AddOnSeat } from './cloud-connector.tables.ts';
import type { Executor, Trx } from './database.ts';
import type { User } from './schema.ts';

/**
 * Serialises seat assignments of one add-on until the transaction ends, across replicas, so that two
 * admins taking the last seat at once cannot both get it. Count the seats after calling it.
 */
export async function lockAddOnSeats(trx: Trx, addOn: string): Promise<void> {
  if (trx.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`select pg_advisory_xact_lock(hashtext(${`tessera.add_on_seats:${addOn}`}))`.execute(trx);
    return;
  }
  // SQLite: a write as the transaction's first statement takes the single write lock before the count.
  await trx.updateTable('add_on_seats').set({ add_on: addOn }).where('add_on', '=', addOn).execute();
}

/** Gives `userId` a seat of `addOn`; returns the seat, or undefined when the user already had one. */
export async function insertAddOnSeat(
  db: Executor,
  seat: { addOn: string; userId: number; assignedAt: string },
): Promise<AddOnSeat | undefined> {
  return db
    .insertInto('add_on_seats')
    .values({ add_on: seat.addOn, user_id: seat.userId, assigned_at: seat.assignedAt })
    .onConflict((oc) => oc.columns(['add_on', 'user_id']).doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** Takes the seat away; true when there was one. */
export async function deleteAddOnSeat(db: Executor, addOn: string, userId: number): Promise<boolean> {
  const result = await db
    .deleteFrom('add_on_seats')
    .where('add_on', '=', addOn)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The add-ons the user holds a seat of. */
export async function addOnsOfUser(db: Executor, userId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('add_on_seats')
    .select('add_on')
    .where('user_id', '=', userId)
    .orderBy('add_on')
    .execute();
  return rows.map((row) => row.add_on);
}

/** Seats assigned per add-on, counting active users only (a blocked user's seat is not in use). */
export async function countAddOnSeats(db: Executor): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('add_on_seats')
    .innerJoin('users', 'users.id', 'add_on_seats.user_id')
    .select(['add_on_seats.add_on as add_on', (eb) => eb.fn.countAll<number>().as('n')])
    .where('users.state', '=', 'active')
    .groupBy('add_on_seats.add_on')
    .execute();
  return Object.fromEntries(rows.map((row) => [row.add_on, Number(row.n)]));
}

/** The seats of one add-on with their users, oldest first. */
export async function listAddOnSeats(
  db: Executor,
  addOn: string,
): Promise<Array<{ seat: AddOnSeat; user: Pick<User, 'id' | 'username' | 'name' | 'state'> }>> {
  const rows = await db
    .selectFrom('add_on_seats')
    .innerJoin('users', 'users.id', 'add_on_seats.user_id')
    .select([
      'add_on_seats.id as id',
      'add_on_seats.add_on as add_on',
      'add_on_seats.user_id as user_id',
      'add_on_seats.assigned_at as assigned_at',
      'users.username as username',
      'users.name as name',
      'users.state as state',
    ])
    .where('add_on_seats.add_on', '=', addOn)
    .orderBy('add_on_seats.id')
    .execute();
  return rows.map((row) => ({
    seat: { id: row.id, add_on: row.add_on, user_id: row.user_id, assigned_at: row.assigned_at },
    user: { id: row.user_id, username: row.username, name: row.name, state: row.state },
  }));
}
