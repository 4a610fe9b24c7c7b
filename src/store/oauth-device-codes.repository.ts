import type { Insertable, Updateable } from 'kysely';
import type { Executor } from './database.ts';
import type { DeviceCodeStatus, OAuthDeviceCode, OAuthDeviceCodesTable } from './oauth.tables.ts';

export async function insertOAuthDeviceCode(
  db: Executor,
  code: Insertable<OAuthDeviceCodesTable>,
): Promise<OAuthDeviceCode> {
  return db.insertInto('oauth_device_codes').values(code).returningAll().executeTakeFirstOrThrow();
}

/** The device authorization a device code names (what the device polls with). */
export async function findOAuthDeviceCodeByDigest(
  db: Executor,
  digest: string,
): Promise<OAuthDeviceCode | undefined> {
  return db.selectFrom('oauth_device_codes').selectAll().where('digest', '=', digest).executeTakeFirst();
}

/** The device authorization a user code names (what the person types). */
export async function findOAuthDeviceCodeByUserCodeDigest(
  db: Executor,
  digest: string,
): Promise<OAuthDeviceCode | undefined> {
  return db
    .selectFrom('oauth_device_codes')
    .selectAll()
    .where('user_code_digest', '=', digest)
    .executeTakeFirst();
}

/**
 * Moves a device authorization out of `from` (compare-and-set): false when another request moved it
 * first, so an approval and a denial, or two redemptions, cannot both win.
 */
export async function transitionOAuthDeviceCode(
  db: Executor,
  id: number,
  from: DeviceCodeStatus,
  changes: Updateable<OAuthDeviceCodesTable>,
): Promise<boolean> {
  const result = await db
    .updateTable('oauth_device_codes')
    .set(changes)
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Records a poll: its time and the (possibly raised) interval the device must keep to. */
export async function recordOAuthDevicePoll(
  db: Executor,
  id: number,
  at: string,
  intervalSeconds: number,
): Promise<void> {
  await db
    .updateTable('oauth_device_codes')
    .set({ last_polled_at: at, interval_seconds: intervalSeconds })
    .where('id', '=', id)
    .execute();
}

/** Removes device authorizations that expired before `before` (housekeeping). */
export async function deleteExpiredOAuthDeviceCodes(db: Executor, before: string): Promise<number> {
  const result = await db
    .deleteFrom('oauth_device_codes')
    .where('expires_at', '<', before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
