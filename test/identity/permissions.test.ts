import { describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
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
import type { Visibility } from '../../src/store/schema.ts';

type Who = 'anonymous' | 'person' | 'admin' | 'blocked' | 'bot' | 'blocked admin';

function facts(who: Who, visibility: Visibility, memberLevel = 0): AccessFacts {
  if (who === 'anonymous') return { user: null, visibility, memberLevel };
  return {
    user: {
      id: 1,
      is_admin: who.includes('admin') ? 1 : 0,
      state: who.startsWith('blocked') ? 'blocked' : 'active',
      bot_kind: who === 'bot' ? 'project_bot' : null,
    },
    visibility,
    memberLevel,
  };
}

const { guest, reporter, developer, maintainer, owner } = ACCESS_LEVELS;

// who, visibility, member level → see, read code, write code, manage project, administer group
const TABLE: [Who, Visibility, number, boolean, boolean, boolean, boolean, boolean][] = [
  ['anonymous', 'public', 0, true, true, false, false, false],
  ['anonymous', 'internal', 0, false, false, false, false, false],
  ['anonymous', 'private', 0, false, false, false, false, false],
  ['person', 'public', 0, true, true, false, false, false],
  ['person', 'internal', 0, true, true, false, false, false],
  ['person', 'private', 0, false, false, false, false, false],
  ['person', 'private', guest, true, false, false, false, false],
  ['person', 'private', reporter, true, true, false, false, false],
  ['person', 'private', developer, true, true, true, false, false],
  ['person', 'private', maintainer, true, true, true, true, false],
  ['person', 'private', owner, true, true, true, true, true],
  ['admin', 'private', 0, true, true, true, true, true],
  ['blocked', 'public', owner, false, false, false, false, false],
  ['blocked admin', 'private', 0, false, false, false, false, false],
  ['bot', 'internal', 0, false, false, false, false, false],
  ['bot', 'public', 0, true, true, false, false, false],
  ['bot', 'private', developer, true, true, true, false, false],
];

describe('permission functions', () => {
  it.each(TABLE)(
    '%s on a %s resource with member level %i: see=%s read=%s write=%s manage=%s administer=%s',
    (who, visibility, level, see, read, write, manage, administer) => {
      const f = facts(who, visibility, level);
      expect({
        see: canSee(f),
        read: canReadRepository(f),
        write: canWriteRepository(f),
        manage: canManageProject(f),
        administer: canAdministerGroup(f),
      }).toEqual({ see, read, write, manage, administer });
    },
  );

  it('an admin counts as owner, a blocked user as nobody', () => {
    expect(effectiveAccessLevel(facts('admin', 'private'))).toBe(owner);
    expect(effectiveAccessLevel(facts('blocked', 'private', owner))).toBe(0);
    expect(effectiveAccessLevel(facts('anonymous', 'public', owner))).toBe(0);
  });

  // granter's level, level to grant → allowed
  const GRANTS: [number, number, boolean][] = [
    [developer, guest, false],
    [maintainer, guest, true],
    [maintainer, maintainer, true],
    [maintainer, owner, false],
    [owner, owner, true],
    [owner, guest, true],
  ];
  it.each(GRANTS)('a member at level %i granting level %i: %s', (own, level, allowed) => {
    expect(canGrantAccessLevel(facts('person', 'private', own), level)).toBe(allowed);
  });

  it('an admin may grant any level; a blocked owner none', () => {
    expect(canGrantAccessLevel(facts('admin', 'private'), owner)).toBe(true);
    expect(canGrantAccessLevel(facts('blocked', 'private', owner), guest)).toBe(false);
  });
});
