import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addOnsOfUser,
  countAddOnSeats,
  deleteAddOnSeat,
  insertAddOnSeat,
  listAddOnSeats,
} from '../../src/store/add-on-seats.repository.ts';
import {
  findCloudConnectorState,
  insertCloudConnectorStateOnce,
  updateCloudConnectorState,
} from '../../src/store/cloud-connector-state.repository.ts';
import {
  findLicenseByActivationCodeDigest,
  findLicenseByKeyDigest,
  insertLicense,
  listLicenses,
  updateLicense,
} from '../../src/store/licenses.repository.ts';
import { cloudConnectorState } from '../../src/cloud/instance/instance-identity.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.ts';
import { createUser } from '../support/world.ts';

const AT = '2026-03-01T12:00:00.000Z';

describe.each(ENGINES)('Cloud Connector tables on %s', (engine) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(engine);
  });
  afterAll(async () => {
    await database.destroy();
  });

  it('stores licenses and finds them by the digest of their activation code or license key', async () => {
    const { db } = database;
    const license = await insertLicense(db, {
      licensee: 'ACME',
      email: '',
      plan: 'ultimate',
      revoked: 0,
      seats_in_use: '{}',
      add_ons: JSON.stringify([{ name: 'duo_pro', seats: 3 }]),
      starts_at: AT,
      expires_at: '2027-03-01T12:00:00.000Z',
      activation_code_digest: 'code-digest',
      created_at: AT,
    });
    expect(license).toMatchObject({ revoked: 0, license_key_digest: null, seats_in_use: '{}', email: '' });
    expect((await findLicenseByActivationCodeDigest(db, 'code-digest'))?.id).toBe(license.id);
    expect(await findLicenseByKeyDigest(db, 'key-digest')).toBeUndefined();
    await updateLicense(db, license.id, { license_key_digest: 'key-digest', instance_uuid: 'uuid-1' });
    expect((await findLicenseByKeyDigest(db, 'key-digest'))?.instance_uuid).toBe('uuid-1');
    await expect(
      insertLicense(db, { ...license, id: undefined, activation_code_digest: 'code-digest' } as never),
    ).rejects.toThrow();
    expect(await listLicenses(db)).toHaveLength(1);
  });

  it('keeps exactly one Cloud Connector row: the first instance UUID wins', async () => {
    const { db } = database;
    expect(await findCloudConnectorState(db)).toBeUndefined();
    const clock = new ManualClock(AT);
    const [a, b] = await Promise.all([cloudConnectorState(db, clock), cloudConnectorState(db, clock)]);
    expect(a.instance_uuid).toBe(b.instance_uuid);
    const again = await insertCloudConnectorStateOnce(db, {
      instance_uuid: 'another',
      license_add_ons: '[]',
      instance_token_scopes: '[]',
      sync_failures: 0,
      created_at: AT,
    });
    expect(again.instance_uuid).toBe(a.instance_uuid);
    const updated = await updateCloudConnectorState(db, { sync_failures: 2, last_sync_error: 'down' });
    expect(updated).toMatchObject({
      sync_failures: 2,
      last_sync_error: 'down',
      instance_uuid: a.instance_uuid,
    });
  });

  it('assigns a seat once per user and add-on, and counts only active users', async () => {
    const { db } = database;
    const alice = await createUser(db);
    const bob = await createUser(db, { state: 'blocked' });
    expect(await insertAddOnSeat(db, { addOn: 'duo_pro', userId: alice.id, assignedAt: AT })).toMatchObject({
      add_on: 'duo_pro',
      user_id: alice.id,
    });
    expect(await insertAddOnSeat(db, { addOn: 'duo_pro', userId: alice.id, assignedAt: AT })).toBeUndefined();
    await insertAddOnSeat(db, { addOn: 'duo_pro', userId: bob.id, assignedAt: AT });
    await insertAddOnSeat(db, { addOn: 'duo_core', userId: alice.id, assignedAt: AT });
    expect(await countAddOnSeats(db)).toEqual({ duo_pro: 1, duo_core: 1 });
    expect(await addOnsOfUser(db, alice.id)).toEqual(['duo_core', 'duo_pro']);
    expect((await listAddOnSeats(db, 'duo_pro')).map((s) => s.user.username)).toEqual([
      alice.username,
      bob.username,
    ]);
    expect(await deleteAddOnSeat(db, 'duo_pro', alice.id)).toBe(true);
    expect(await deleteAddOnSeat(db, 'duo_pro', alice.id)).toBe(false);
  });
});
