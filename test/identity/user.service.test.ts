import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/audit/audit-log.ts';
import { verifyPassword } from '../../src/identity/password.ts';
import { changeUserAccess } from '../../src/identity/user-access.service.ts';
import {
  blockUser,
  changeOwnPassword,
  createUser,
  setAdmin,
  unblockUser,
} from '../../src/identity/user.service.ts';
import { findUserNamespace } from '../../src/store/namespaces.repository.ts';
import { findSessionById, insertSession } from '../../src/store/sessions.repository.ts';
import { findUserById } from '../../src/store/users.repository.ts';
import { systemClock } from '../../src/util/clock.ts';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.ts';
import { createGroup } from '../support/world.ts';
import { auditEvents, newPassword, refusal } from './identity-fixtures.ts';

describe.each(ENGINES)('users on %s', (engine) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(engine);
  });
  afterAll(async () => database.destroy());

  it('a new user gets a personal namespace named after them, a hashed password and an audit event', async () => {
    const password = newPassword();
    const user = await createUser(database.db, systemClock, SYSTEM_ACTOR, {
      username: 'alice',
      email: 'Alice@Example.com',
      name: 'Alice Liddell',
      password,
    });
    expect(user).toMatchObject({
      username: 'alice',
      email: 'Alice@Example.com',
      name: 'Alice Liddell',
      is_admin: 0,
    });
    expect(await verifyPassword(password, user.password_digest)).toBe(true);
    expect(await findUserNamespace(database.db, user.id)).toMatchObject({
      kind: 'user',
      path: 'alice',
      full_path: 'alice',
    });
    const [event] = (await auditEvents(database.db, 'user.created')).filter(
      (e) => e.entity_id === String(user.id),
    );
    expect(event).toMatchObject({ author_name: 'tessera', target_details: 'alice' });
    expect(JSON.stringify(event)).not.toContain(password);
  });

  it('a taken username or email is a 409 naming the field, whatever its case', async () => {
    await createUser(database.db, systemClock, SYSTEM_ACTOR, { username: 'bob', email: 'bob@example.com' });
    expect(
      await refusal(
        createUser(database.db, systemClock, SYSTEM_ACTOR, { username: 'BOB', email: 'b2@example.com' }),
      ),
    ).toEqual({
      code: 'conflict',
      status: 409,
      message: 'Username has already been taken',
      field: 'username',
    });
    expect(
      await refusal(
        createUser(database.db, systemClock, SYSTEM_ACTOR, { username: 'bob2', email: 'BOB@example.com' }),
      ),
    ).toEqual({ code: 'conflict', status: 409, message: 'Email has already been taken', field: 'email' });
  });

  it('a username may not take the path of an existing group', async () => {
    await createGroup(database.db, { path: 'platform' });
    expect(
      await refusal(
        createUser(database.db, systemClock, SYSTEM_ACTOR, { username: 'platform', email: 'p@example.com' }),
      ),
    ).toMatchObject({ code: 'conflict', field: 'username' });
  });

  it.each([
    ['username', { username: '-dash', email: 'd@example.com' }],
    ['username', { username: 'ends.git', email: 'd@example.com' }],
    ['username', { username: 'api', email: 'd@example.com' }],
    ['username', { username: '', email: 'd@example.com' }],
    ['email', { username: 'dave', email: 'not-an-email' }],
    ['password', { username: 'dave', email: 'd@example.com', password: 'short' }],
  ])('an invalid %s is a 400 naming it (%o)', async (field, input) => {
    expect(await refusal(createUser(database.db, systemClock, SYSTEM_ACTOR, input))).toMatchObject({
      code: 'bad_request',
      status: 400,
      field,
    });
  });

  it('a bot user gets no personal namespace', async () => {
    const bot = await createUser(database.db, systemClock, SYSTEM_ACTOR, {
      username: 'project_7_bot_abc',
      email: 'project_7_bot_abc@noreply.example.com',
      botKind: 'project_bot',
    });
    expect(bot.bot_kind).toBe('project_bot');
    expect(await findUserNamespace(database.db, bot.id)).toBeUndefined();
  });

  it('blocking ends the user’s sessions; both changes are audited', async () => {
    const carol = await createUser(database.db, systemClock, SYSTEM_ACTOR, {
      username: 'carol',
      email: 'c@example.com',
    });
    const now = new Date().toISOString();
    await insertSession(database.db, {
      id: 'digest-1',
      user_id: carol.id,
      created_at: now,
      last_seen_at: now,
      ip_address: null,
    });
    expect((await blockUser(database.db, systemClock, SYSTEM_ACTOR, carol.id)).state).toBe('blocked');
    expect(await findSessionById(database.db, 'digest-1')).toBeUndefined();
    expect((await unblockUser(database.db, systemClock, SYSTEM_ACTOR, carol.id)).state).toBe('active');
    const actions = [
      ...(await auditEvents(database.db, 'user.blocked')),
      ...(await auditEvents(database.db, 'user.unblocked')),
    ].filter((e) => e.entity_id === String(carol.id));
    expect(actions.map((e) => e.action)).toEqual(['user.blocked', 'user.unblocked']);
  });

  it('blocking an unknown user is a 404', async () => {
    expect(await refusal(blockUser(database.db, systemClock, SYSTEM_ACTOR, 999_999))).toMatchObject({
      code: 'not_found',
      message: '404 User Not Found',
    });
  });

  it('the admin flag is granted and withdrawn', async () => {
    const dan = await createUser(database.db, systemClock, SYSTEM_ACTOR, {
      username: 'dan',
      email: 'dan@example.com',
    });
    expect((await setAdmin(database.db, systemClock, SYSTEM_ACTOR, dan.id, true)).is_admin).toBe(1);
    expect((await setAdmin(database.db, systemClock, SYSTEM_ACTOR, dan.id, false)).is_admin).toBe(0);
  });

  it('changing one’s own password needs the current one; a refusal changes nothing', async () => {
    const current = newPassword();
    const erin = await createUser(database.db, systemClock, SYSTEM_ACTOR, {
      username: 'erin',
      email: 'erin@example.com',
      password: current,
    });
    const actor = { userId: erin.id, name: 'erin', ip: null };
    const next = newPassword();
    expect(
      await refusal(
        changeOwnPassword(database.db, systemClock, actor, erin, { current: 'wrong-one', password: next }),
      ),
    ).toMatchObject({ code: 'bad_request', field: 'current_password' });
    expect(
      await refusal(changeOwnPassword(database.db, systemClock, actor, erin, { current, password: current })),
    ).toMatchObject({ code: 'bad_request', field: 'password' });
    const changed = () =>
      auditEvents(database.db, 'user.password_changed').then((events) =>
        events.filter((e) => e.entity_id === String(erin.id)),
      );
    expect(await changed()).toHaveLength(0);
    await changeOwnPassword(database.db, systemClock, actor, erin, { current, password: next });
    const stored = (await findUserById(database.db, erin.id))!;
    expect(await verifyPassword(next, stored.password_digest)).toBe(true);
    expect(await changed()).toHaveLength(1);
  });

  it('an administrator cannot block themself through changeUserAccess', async () => {
    const root = await createUser(database.db, systemClock, SYSTEM_ACTOR, {
      username: 'root2',
      email: 'root2@example.com',
      admin: true,
    });
    const actor = { userId: root.id, name: 'root2', ip: null };
    expect(
      await refusal(changeUserAccess({ db: database.db, clock: systemClock }, actor, root, root.id, 'block')),
    ).toMatchObject({ code: 'forbidden' });
    expect(
      (await changeUserAccess({ db: database.db, clock: systemClock }, actor, root, root.id, 'unblock'))
        .state,
    ).toBe('active');
  });
});
