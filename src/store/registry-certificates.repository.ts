import type { Executor } from './database.ts';

/** The certificate cached for a registry signing key, by the key's kid. */
export async function findRegistryCertificate(db: Executor, kid: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('registry_certificates')
    .select('certificate_pem')
    .where('kid', '=', kid)
    .executeTakeFirst();
  return row?.certificate_pem;
}

/**
 * Stores a key's certificate unless one is there already (another replica made it first), and
 * returns the one that is stored: every replica then hands out the same certificate.
 */
export async function saveRegistryCertificate(
  db: Executor,
  kid: string,
  certificatePem: string,
  at: string,
): Promise<string> {
  await db
    .insertInto('registry_certificates')
    .values({ kid, certificate_pem: certificatePem, created_at: at })
    .onConflict((oc) => oc.column('kid').doNothing())
    .execute();
  return (await findRegistryCertificate(db, kid)) ?? certificatePem;
}
