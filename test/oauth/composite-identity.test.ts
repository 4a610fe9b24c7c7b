import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import {
  compositeDecision,
  compositeIdentityOf,
  compositeUser,
  intersectAccess,
  userScopeOf,
} from '../../src/identity/composite-identity.ts';
import {
  canAdministerGroup,
  canGrantAccessLevel,
  canManageProject,
  canReadRepository,
  canSee,
  canWriteRepository,
  effectiveAccessLevel,
  type AccessFacts,
} from '../../src/identity/permissions.ts';
import type { User } from '../../src/store/schema.ts';

const { none, guest, reporter, developer, maintainer, owner } = ACCESS_LEVELS;

const facts = (
  level: number,
  visibility: AccessFacts['visibility'],
  user: Partial<NonNullable<AccessFacts['user']>> = {},
): AccessFacts => ({
  user: { id: 1, is_admin: 0, state: 'active', bot_kind: null, ...user },
  visibility,
  memberLevel: level,
});
const bot = { id: 2, bot_kind: 'service_account' as const };

const PERMISSIONS = {
  canSee,
  canReadRepository,
  canWriteRepository,
  canManageProject,
  canAdministerGroup,
  grantDeveloper: (f: AccessFacts) => canGrantAccessLevel(f, developer),
  grantOwner: (f: AccessFacts) => canGrantAccessLevel(f, owner),
};

describe('intersectAccess: a composite identity may do what both sides may do', () => {
  // [service account facts, person facts, what the pair may do]
  const table: Array<
    [string, AccessFacts, AccessFacts, { see: boolean; read: boolean; write: boolean; manage: boolean }]
  > = [
    [
      'the account is a developer, the person a stranger to a private project',
      facts(developer, 'private', bot),
      facts(none, 'private'),
      { see: false, read: false, write: false, manage: false },
    ],
    [
      'the person is a developer, the account a stranger to a private project',
      facts(none, 'private', bot),
      facts(developer, 'private'),
      { see: false, read: false, write: false, manage: false },
    ],
    [
      'both developers',
      facts(developer, 'private', bot),
      facts(developer, 'private'),
      { see: true, read: true, write: true, manage: false },
    ],
    [
      'the account maintains, the person reports: the lower level wins',
      facts(maintainer, 'private', bot),
      facts(reporter, 'private'),
      { see: true, read: true, write: false, manage: false },
    ],
    [
      'a public project: both see and read it without membership',
      facts(none, 'public', bot),
      facts(none, 'public'),
      { see: true, read: true, write: false, manage: false },
    ],
    [
      'an internal project the account is no member of: internal does not reach bots',
      facts(none, 'internal', bot),
      facts(developer, 'internal'),
      { see: false, read: false, write: false, manage: false },
    ],
    [
      'an internal project the account is a guest of and the person may see as a person',
      facts(guest, 'internal', bot),
      facts(none, 'internal'),
      { see: true, read: true, write: false, manage: false },
    ],
    [
      'an administrator person does not lift the account',
      facts(reporter, 'private', bot),
      facts(none, 'private', { is_admin: 1 }),
      { see: true, read: true, write: false, manage: false },
    ],
    [
      'both administrators',
      facts(none, 'private', { ...bot, is_admin: 1 }),
      facts(none, 'private', { is_admin: 1 }),
      { see: true, read: true, write: true, manage: true },
    ],
    [
      'a blocked person stops the pair',
      facts(owner, 'public', bot),
      facts(owner, 'public', { state: 'blocked' }),
      { see: false, read: false, write: false, manage: false },
    ],
  ];

  it.each(table)('%s', (_name, account, person, expected) => {
    const pair = intersectAccess(account, person);
    expect({
      see: canSee(pair),
      read: canReadRepository(pair),
      write: canWriteRepository(pair),
      manage: canManageProject(pair),
    }).toEqual(expected);
  });

  it('answers every permission exactly as "both sides may", for any facts', () => {
    const side = fc.record({
      user: fc.option(
        fc.record({
          id: fc.integer({ min: 1, max: 5 }),
          is_admin: fc.constantFrom(0, 1),
          state: fc.constantFrom('active' as const, 'blocked' as const),
          bot_kind: fc.constantFrom(null, 'service_account' as const, 'project_bot' as const),
        }),
        { nil: null },
      ),
      memberLevel: fc.constantFrom(none, guest, reporter, developer, maintainer, owner),
    });
    const visibility = fc.constantFrom('public' as const, 'internal' as const, 'private' as const);
    fc.assert(
      fc.property(side, side, visibility, (a, b, v) => {
        const left: AccessFacts = { ...a, visibility: v };
        const right: AccessFacts = { ...b, visibility: v };
        const pair = intersectAccess(left, right);
        for (const permission of Object.values(PERMISSIONS)) {
          expect(permission(pair)).toBe(permission(left) && permission(right));
        }
        expect(effectiveAccessLevel(pair)).toBe(
          Math.min(effectiveAccessLevel(left), effectiveAccessLevel(right)),
        );
      }),
      { numRuns: 2000 },
    );
  });
});

describe('user:<id> scopes', () => {
  it.each([
    [['api'], { kind: 'none' }],
    [['ai_workflows', 'user:42'], { kind: 'one', userId: 42 }],
    [['user:42', 'user:43'], { kind: 'many' }],
    [['user:0', 'user:abc', 'user:'], { kind: 'none' }],
  ])('%j reads as %j', (scopes, reading) => {
    expect(userScopeOf(scopes)).toEqual(reading);
  });
});

describe('compositeDecision', () => {
  const account = { id: 10, bot_kind: 'service_account' as const, composite_identity_enforced: 1 };
  const person = { id: 42, state: 'active' as const, bot_kind: null };
  it.each([
    [
      'a token of an ordinary user is not composite',
      { ...account, bot_kind: null },
      ['api'],
      undefined,
      'not_composite',
    ],
    [
      'a service account without the flag is not composite',
      { ...account, composite_identity_enforced: 0 },
      ['api'],
      undefined,
      'not_composite',
    ],
    ['exactly one user scope naming an active person', account, ['api', 'user:42'], person, 'allowed'],
    ['no user scope', account, ['api'], undefined, 'refused'],
    ['two user scopes', account, ['user:42', 'user:43'], person, 'refused'],
    ['the scoped user is blocked', account, ['user:42'], { ...person, state: 'blocked' as const }, 'refused'],
    [
      'the scoped user is a bot',
      account,
      ['user:42'],
      { ...person, bot_kind: 'project_bot' as const },
      'refused',
    ],
    ['the scoped user is the account itself', account, ['user:10'], { ...person, id: 10 }, 'refused'],
    ['the scoped user does not exist', account, ['user:42'], undefined, 'refused'],
  ] as const)('%s', (_name, owner, scopes, scoped, expected) => {
    expect(compositeDecision(owner, scopes, scoped)).toBe(expected);
  });
});

describe('compositeUser', () => {
  const row = (fields: Partial<User>): User => ({
    id: 1,
    username: 'u',
    email: 'u@example.test',
    name: 'u',
    password_digest: null,
    is_admin: 0,
    state: 'active',
    bot_kind: null,
    composite_identity_enforced: 0,
    created_at: '2026-01-01T00:00:00.000Z',
    ...fields,
  });

  it('is the service account, administrator only when both are, and carries the pair through copies but not JSON', () => {
    const account = row({ id: 7, username: 'sa', bot_kind: 'service_account', is_admin: 1 });
    const person = row({ id: 42, username: 'alice' });
    const user = compositeUser(account, person);
    expect(user.id).toBe(7);
    expect(user.is_admin).toBe(0);
    expect(compositeIdentityOf({ ...user })).toEqual({ serviceAccount: account, scopedUser: person });
    expect(JSON.parse(JSON.stringify(user))).toEqual({ ...account, is_admin: 0 });
    expect(compositeIdentityOf(account)).toBeUndefined();
  });
});
