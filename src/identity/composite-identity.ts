import type { User } from '../store/schema.ts';
import { ACCESS_LEVELS } from './access-levels.ts';
import { effectiveAccessLevel, type AccessFacts } from './permissions.ts';

/*
 * Composite identity: a service account acting for a person. Every permission must hold for both, so
 * the decisions here are pure functions of the two sides' facts, tested as a table.
 */

/** The dynamic scope naming the person a composite token acts for: `user:<id>`. */
export const USER_SCOPE_PATTERN = /^user:([1-9]\d{0,15})$/;

/** What the `user:<id>` scopes of a credential say. */
export type UserScopeReading = { kind: 'none' } | { kind: 'one'; userId: number } | { kind: 'many' };

/**
 * Reads the `user:<id>` scopes among `scopes`.
 *
 * @example
 * userScopeOf(['ai_workflows', 'user:42']); // { kind: 'one', userId: 42 }
 */
export function userScopeOf(scopes: readonly string[]): UserScopeReading {
  const ids = scopes.flatMap((scope) => {
    const match = USER_SCOPE_PATTERN.exec(scope);
    return match ? [Number(match[1])] : [];
  });
  if (ids.length === 0) return { kind: 'none' };
  return ids.length === 1 ? { kind: 'one', userId: ids[0]! } : { kind: 'many' };
}

/** True when `scope` is a dynamic `user:` scope (well-formed or not). */
export function isUserScope(scope: string): boolean {
  return scope.startsWith('user:');
}

/** A service account whose OAuth tokens must act for a person (one `user:<id>` scope, always). */
export function enforcesCompositeIdentity(
  owner: Pick<User, 'bot_kind' | 'composite_identity_enforced'>,
): boolean {
  return owner.bot_kind === 'service_account' && owner.composite_identity_enforced === 1;
}

/**
 * Whether a composite token may act: the scope names exactly one person, who exists, is active and is
 * a person (not a bot, not the service account itself).
 */
export function compositeDecision(
  owner: Pick<User, 'id' | 'bot_kind' | 'composite_identity_enforced'>,
  scopes: readonly string[],
  scopedUser: Pick<User, 'id' | 'state' | 'bot_kind'> | undefined,
): 'not_composite' | 'allowed' | 'refused' {
  if (!enforcesCompositeIdentity(owner)) return 'not_composite';
  const reading = userScopeOf(scopes);
  if (reading.kind !== 'one' || !scopedUser || scopedUser.id !== reading.userId) return 'refused';
  if (scopedUser.id === owner.id || scopedUser.state !== 'active' || scopedUser.bot_kind !== null)
    return 'refused';
  return 'allowed';
}

/**
 * The facts of a composite identity towards one project or group, built so that every permission
 * function of `permissions.ts` answers for them exactly what it answers for `a` AND for `b`: the
 * effective level is the lower of the two, the resource is visible only when both see it (internal
 * visibility reaches the pair only when it reaches each side), and administration only when both are
 * administrators.
 *
 * @example
 * canWriteRepository(intersectAccess(serviceAccountFacts, userFacts)); // both must be developers
 */
export function intersectAccess(a: AccessFacts, b: AccessFacts): AccessFacts {
  const blocked = (facts: AccessFacts) => facts.user !== null && facts.user.state !== 'active';
  if (blocked(a) || blocked(b)) {
    const user = a.user ?? b.user!;
    return {
      user: { id: user.id, is_admin: 0, state: 'blocked', bot_kind: user.bot_kind },
      visibility: a.visibility,
      memberLevel: ACCESS_LEVELS.none,
    };
  }
  if (a.user === null || b.user === null) {
    return { user: null, visibility: a.visibility, memberLevel: ACCESS_LEVELS.none };
  }
  // Internal visibility reaches a side that is a person, or a bot that is a member anyway.
  const internalReaches = (facts: AccessFacts) =>
    facts.user!.bot_kind === null || effectiveAccessLevel(facts) >= ACCESS_LEVELS.guest;
  const bothAdmins = a.user.is_admin === 1 && b.user.is_admin === 1;
  return {
    user: {
      id: a.user.id,
      is_admin: bothAdmins ? 1 : 0,
      state: 'active',
      bot_kind:
        internalReaches(a) && internalReaches(b)
          ? null
          : (a.user.bot_kind ?? b.user.bot_kind ?? 'service_account'),
    },
    visibility: a.visibility,
    memberLevel: Math.min(effectiveAccessLevel(a), effectiveAccessLevel(b)),
    // Seen from below only when each side sees it (as a member there or below).
    ...(a.memberBelow === true || b.memberBelow === true
      ? { memberBelow: canSeeFromInside(a) && canSeeFromInside(b) }
      : {}),
  };
}

const canSeeFromInside = (facts: AccessFacts) =>
  facts.memberBelow === true || effectiveAccessLevel(facts) >= ACCESS_LEVELS.guest;

/** The two users behind a composite identity. */
export interface CompositeIdentity {
  /** The token's owner, as stored. */
  serviceAccount: User;
  /** The person the `user:<id>` scope names. */
  scopedUser: User;
}

/*
 * The composite identity rides on the user object itself (a symbol-keyed property, which object
 * spread keeps and JSON drops), so that every place a principal's user flows into — access facts,
 * listings, git, the registry, services that take a `User` — meets the pair without each having to
 * know about composite identity. A copy made by re-reading the user from the store loses it; such
 * code must take the user from the principal.
 */
const COMPOSITE = Symbol('tessera.compositeIdentity');

type MaybeComposite = User & { [COMPOSITE]?: CompositeIdentity };

/**
 * The user a composite principal acts as: the service account's row, administrator only when both
 * are, carrying the pair for {@link compositeIdentityOf}.
 */
export function compositeUser(serviceAccount: User, scopedUser: User): User {
  const user: MaybeComposite = {
    ...serviceAccount,
    is_admin: serviceAccount.is_admin === 1 && scopedUser.is_admin === 1 ? 1 : 0,
    state: serviceAccount.state === 'active' && scopedUser.state === 'active' ? 'active' : 'blocked',
  };
  user[COMPOSITE] = { serviceAccount, scopedUser };
  return user;
}

/** The pair behind a user made by {@link compositeUser}; undefined for anyone else. */
export function compositeIdentityOf(user: User | null | undefined): CompositeIdentity | undefined {
  return user ? (user as MaybeComposite)[COMPOSITE] : undefined;
}
