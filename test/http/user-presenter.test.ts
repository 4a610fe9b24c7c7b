import { describe, expect, it } from 'vitest';
import {
  presentUser,
  presentUserBasic,
  presentUserPrivate,
} from '../../src/http/presenters/user.presenter.ts';
import type { User } from '../../src/store/schema.ts';

const URL = 'https://tessera.example';
const person = {
  id: 7,
  username: 'ada',
  name: 'Ada',
  email: 'ada@example.test',
  state: 'active',
  is_admin: 0,
  bot_kind: null,
  created_at: '2026-03-01T12:00:00.000Z',
} as unknown as User;
const bot = { ...person, id: 8, username: 'project_1_bot', bot_kind: 'project_bot' } as unknown as User;

/*
 * The three user entities are written out as whole literals (for speed); each must still be the
 * smaller one with more fields, never a different value for a field they share.
 */
describe('the user entities', () => {
  it.each([
    ['a person', person],
    ['a bot', bot],
  ])('of %s: UserPublic ⊇ User ⊇ UserBasic, with the same values', (_, user) => {
    const basic = presentUserBasic(user, URL);
    const profile = presentUser(user, URL);
    const own = presentUserPrivate(user, URL);
    expect(profile).toMatchObject(basic);
    expect(own).toMatchObject(profile);
    expect(Object.keys(profile).slice(0, Object.keys(basic).length)).toEqual(Object.keys(basic));
    expect(Object.keys(own).slice(0, Object.keys(profile).length)).toEqual(Object.keys(profile));
    expect(own).toMatchObject({
      web_url: `${URL}/${user.username}`,
      bot: user.bot_kind !== null,
      email: user.email,
      can_create_group: user.bot_kind === null,
      projects_limit: user.bot_kind === null ? 100000 : 0,
    });
  });
});
