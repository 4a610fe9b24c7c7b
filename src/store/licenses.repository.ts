import type { Insertable, Updateable } from 'kysely';
import type { License, LicensesTable } from './cloud-connector.tables.ts';
import type { Executor } from './database.ts';

/** Stores a new license and returns its row. */
export async function insertLicense(db: Executor, license: Insertable<LicensesTable>): Promise<License> {
  return db.insertInto('licenses').values(license).returningAll().executeTakeFirstOrThrow();
}

export async function findLicenseById(db: Executor, id: number): Promise<License | undefined> {
  return db.selectFrom('licenses').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findLicenseByActivationCodeDigest(
  db: Executor,
  digest: string,
): Promise<License | undefined> {
  return db
    .selectFrom('licenses')
    .selectAll()
    .where('activation_code_digest', '=', digest)
    .executeTakeFirst();
}

export async function findLicenseByKeyDigest(db: Executor, digest: string): Promise<License | undefined> {
  return db.selectFrom('licenses').selectAll().where('license_key_digest', '=', digest).executeTakeFirst();
}

/** Every license, newest first. */
export async function listLicenses(db: Executor): Promise<License[]> {
  return db.selectFrom('licenses').selectAll().orderBy('id', 'desc').execute();
}

export async function updateLicense(
  db: Executor,
  id: number,
  change: Updateable<LicensesTable>,
): Promise<License> {
  return db.updateTable('licenses').set(change).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}
