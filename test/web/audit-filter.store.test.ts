import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAudit, SYSTEM_ACTOR } from '../../src/audit/audit-log.ts';
import { countAuditEvents, listAuditEvents } from '../../src/store/audit-events.repository.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { ENGINES, createTestDatabase, type TestDatabase } from '../support/databases.ts';

describe.each(ENGINES)('the audit log page’s target-type filter on %s', (engine) => {
  let store: TestDatabase;
  beforeAll(async () => {
    store = await createTestDatabase(engine);
    const clock = new ManualClock('2026-03-01T12:00:00.000Z');
    const events = [
      {
        action: 'personal_access_token.created',
        entity: { type: 'User', id: 1 },
        target: { type: 'PersonalAccessToken', id: 7 },
      },
      { action: 'signing_key.activated', entity: { type: 'signing_key', id: 'kid-1' } },
      { action: 'user.signed_in', entity: { type: 'user', id: 1 } },
      // An entity of the type asked for, but about something else: not matched.
      {
        action: 'project_access_token.created',
        entity: { type: 'signing_key', id: 'x' },
        target: { type: 'ProjectAccessToken', id: 8 },
      },
    ];
    for (const event of events) await recordAudit(store.db, clock, SYSTEM_ACTOR, event);
  });
  afterAll(async () => store.destroy());

  const actions = async (targetType: string) =>
    (await listAuditEvents(store.db, { targetType, limit: 10, offset: 0 })).map((event) => event.action);

  it('matches the target’s type', async () => {
    expect(await actions('PersonalAccessToken')).toEqual(['personal_access_token.created']);
  });

  it('matches the entity’s type when the event has no target', async () => {
    expect(await actions('signing_key')).toEqual(['signing_key.activated']);
    expect(await actions('user')).toEqual(['user.signed_in']);
  });

  it('matches nothing for a type no event is about', async () => {
    expect(await actions('DeployToken')).toEqual([]);
  });

  it('counts what the same filter lists (the home page’s failed sign-ins)', async () => {
    expect(await countAuditEvents(store.db, { action: 'user.signed_in' })).toBe(1);
    expect(await countAuditEvents(store.db, { targetType: 'signing_key' })).toBe(1);
    expect(await countAuditEvents(store.db, { createdAfter: '2026-03-01T12:00:00.001Z' })).toBe(0);
  });
});
