import type { Insertable, Updateable } from 'kysely';
import type { CloudConnectorState, CloudConnectorStatesTable } from './cloud-connector.tables.ts';
import type { Executor } from './database.ts';
import { isUniqueViolation } from './in-transaction.ts';

/** The instance's Cloud Connector row, if it was created yet. */
export async function findCloudConnectorState(db: Executor): Promise<CloudConnectorState | undefined> {
  return db.selectFrom('cloud_connector_states').selectAll().where('slot', '=', 1).executeTakeFirst();
}

/**
 * Creates the row unless it exists, and returns the row that exists afterwards: a replica that loses
 * the race to create it reads the winner's (and so the same instance UUID).
 */
export async function insertCloudConnectorStateOnce(
  db: Executor,
  state: Insertable<CloudConnectorStatesTable>,
): Promise<CloudConnectorState> {
  try {
    await db.insertInto('cloud_connector_states').values(state).execute();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
  const row = await findCloudConnectorState(db);
  if (!row) throw new Error('cloud_connector_states row vanished');
  return row;
}

export async function updateCloudConnectorState(
  db: Executor,
  change: Updateable<CloudConnectorStatesTable>,
): Promise<CloudConnectorState> {
  return db
    .updateTable('cloud_connector_states')
    .set(change)
    .where('slot', '=', 1)
    .returningAll()
    .executeTakeFirstOrThrow();
}
