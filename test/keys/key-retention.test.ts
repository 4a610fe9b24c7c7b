import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/audit/audit-log.ts';
import { LICENSE_AUTHORITY_KEY_ROLE } from '../../src/cloud/license-authority/license-authority-deps.ts';
import { RETIREMENT_MARGIN_SECONDS } from '../../src/keys/key-retention.ts';
import { listSigningKeys } from '../../src/store/signing-keys.repository.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { keySettings, keyWorld, type KeyWorld } from './key-fixtures.ts';

const DAY = 24 * 3600;

/** Seconds from the retirement of the key retired last to its removal. */
async function publishedAfterRetirement(database: TestDatabase, role: string): Promise<number> {
  const retired = (await listSigningKeys(database.db, role)).find((key) => key.state === 'retired')!;
  return (Date.parse(retired.remove_after!) - Date.parse(retired.retired_at!)) / 1000;
}

describe('how long a retired key stays published, per role', () => {
  let database: TestDatabase;
  let keys: KeyWorld['keys'];

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    ({ keys } = keyWorld(
      database.db,
      keySettings({
        maxJwtLifetimeSeconds: DAY,
        cloudConnector: { ...keySettings().cloudConnector, instanceTokenLifetimeSeconds: 3 * DAY },
      }),
    ));
  });
  afterAll(() => database.destroy());

  // Any process may rotate any role (`tessera keys rotate --role license-authority` runs with the
  // instance's settings): the retention must come from the role, not from who rotates.
  it('keeps license-authority keys as long as the instance tokens they signed', async () => {
    await keys.ensureKeys(LICENSE_AUTHORITY_KEY_ROLE);
    await keys.rotate(LICENSE_AUTHORITY_KEY_ROLE, SYSTEM_ACTOR);
    expect(await publishedAfterRetirement(database, LICENSE_AUTHORITY_KEY_ROLE)).toBe(
      3 * DAY + RETIREMENT_MARGIN_SECONDS,
    );
  });

  it('keeps instance and registry keys as long as the longest JWT the instance signs', async () => {
    for (const role of ['instance', 'registry']) {
      await keys.ensureKeys(role);
      await keys.rotate(role, SYSTEM_ACTOR);
      expect(await publishedAfterRetirement(database, role)).toBe(DAY + RETIREMENT_MARGIN_SECONDS);
    }
  });

  it('lets the license authority sign three-day instance tokens, and the instance no JWT over a day', async () => {
    await keys.ensureKeys('instance');
    await expect(
      keys.signJwt(
        LICENSE_AUTHORITY_KEY_ROLE,
        { sub: 'instance' },
        { expiresInSeconds: 3 * DAY, audience: 'x' },
      ),
    ).resolves.toMatch(/^ey/);
    await expect(
      keys.signJwt('instance', { sub: 'user' }, { expiresInSeconds: 3 * DAY, audience: 'x' }),
    ).rejects.toThrow();
  });
});
