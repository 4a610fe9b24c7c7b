import { recordAudit } from '../audit/audit-log.ts';
import { badRequest, forbidden, notFound, TesseraError } from '../errors/tessera-error.ts';
import type { Executor } from '../store/database.ts';
import { inTransaction, isUniqueViolation } from '../store/in-transaction.ts';
import {
  countMembersAtLevel,
  deleteMember,
  findMember,
  insertMember,
  membershipsInNamespaces,
  updateMemberAccessLevel,
  updateMemberExpiry,
} from '../store/members.repository.ts';
import { namespaceWithAncestors } from '../store/namespaces.repository.ts';
import type { Member } from '../store/schema.ts';
import { findUserById } from '../store/users.repository.ts';
import type { Clock } from '../util/clock.ts';
import { ACCESS_LEVELS, accessLevelName, isMemberAccessLevel } from './access-levels.ts';
import { actorFor, type ActingUser } from './acting-user.ts';
import {
  accessFactsFor,
  auditEntityOf,
  inheritanceRootOf,
  sourceOf,
  type MemberTarget,
} from './member-target.ts';
import { canGrantAccessLevel, canSee } from './permissions.ts';

export type { MemberTarget } from './member-target.ts';

export interface MemberInput {
  userId: number;
  accessLevel: number;
  /** `YYYY-MM-DD`, or null for no expiry. */
  expiresAt?: string | null;
}

const alreadyMember = () => new TesseraError('conflict', 'Member already exists');

/**
 * Adds a member to a project or group. The caller must be able to grant the level (maintainers up to
 * their own level, owners any), and a direct membership may not be below what the user already
 * inherits from a parent group.
 *
 * @example
 * await addMember(db, clock, { user: alice, ip }, { kind: 'project', project }, { userId: bob.id, accessLevel: 30 });
 */
export async function addMember(
  db: Executor,
  clock: Clock,
  by: ActingUser,
  target: MemberTarget,
  input: MemberInput,
): Promise<Member> {
  assertLevel(input.accessLevel);
  const expiresAt = validExpiry(clock, input.expiresAt);
  try {
    return await inTransaction(db, async (trx) => {
      await authorize(trx, by, target, [input.accessLevel]);
      const user = await findUserById(trx, input.userId);
      if (!user) throw notFound('User');
      if (await findMember(trx, sourceOf(target), user.id)) throw alreadyMember();
      await assertNotBelowInherited(trx, target, user.id, input.accessLevel);
      const member = await insertMember(trx, {
        source: sourceOf(target),
        userId: user.id,
        accessLevel: input.accessLevel,
        expiresAt,
        createdAt: clock.now().toISOString(),
      });
      await recordAudit(trx, clock, actorFor(by), {
        action: 'member.created',
        entity: auditEntityOf(target),
        target: { type: 'user', id: user.id, details: user.username },
        details: { access_level: input.accessLevel, expires_at: expiresAt },
      });
      return member;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw alreadyMember();
    throw error;
  }
}

/** Changes a member's level or expiry; the caller must be able to grant both the old and the new level. */
export async function updateMember(
  db: Executor,
  clock: Clock,
  by: ActingUser,
  target: MemberTarget,
  userId: number,
  changes: { accessLevel?: number; expiresAt?: string | null },
): Promise<Member> {
  if (changes.accessLevel !== undefined) assertLevel(changes.accessLevel);
  const expiresAt = changes.expiresAt === undefined ? undefined : validExpiry(clock, changes.expiresAt);
  return inTransaction(db, async (trx) => {
    const existing = await findMember(trx, sourceOf(target), userId);
    if (!existing) throw notFound('Member');
    const level = changes.accessLevel ?? existing.access_level;
    await authorize(trx, by, target, [existing.access_level, level]);
    if (level < ACCESS_LEVELS.owner) await assertNotLastOwner(trx, target, existing);
    await assertNotBelowInherited(trx, target, userId, level);
    let updated = existing;
    if (level !== existing.access_level)
      updated = (await updateMemberAccessLevel(trx, sourceOf(target), userId, level))!;
    if (expiresAt !== undefined)
      updated = (await updateMemberExpiry(trx, sourceOf(target), userId, expiresAt))!;
    await recordAudit(trx, clock, actorFor(by), {
      action: 'member.updated',
      entity: auditEntityOf(target),
      target: { type: 'user', id: userId },
      details: { from: existing.access_level, to: level, expires_at: updated.expires_at },
    });
    return updated;
  });
}

/** Removes a member. Anyone may leave; removing someone else needs the right to grant their level. */
export async function removeMember(
  db: Executor,
  clock: Clock,
  by: ActingUser,
  target: MemberTarget,
  userId: number,
): Promise<void> {
  await inTransaction(db, async (trx) => {
    const existing = await findMember(trx, sourceOf(target), userId);
    if (!existing) throw notFound('Member');
    if (userId !== by.user.id) await authorize(trx, by, target, [existing.access_level]);
    await assertNotLastOwner(trx, target, existing);
    await deleteMember(trx, sourceOf(target), userId);
    await recordAudit(trx, clock, actorFor(by), {
      action: 'member.removed',
      entity: auditEntityOf(target),
      target: { type: 'user', id: userId },
      details: { access_level: existing.access_level },
    });
  });
}

async function authorize(
  db: Executor,
  by: ActingUser,
  target: MemberTarget,
  levels: number[],
): Promise<void> {
  const facts = await accessFactsFor(db, by.user, target);
  if (!canSee(facts)) throw notFound(target.kind === 'project' ? 'Project' : 'Group');
  if (!levels.every((level) => canGrantAccessLevel(facts, level))) throw forbidden();
}

function assertLevel(level: number): void {
  if (!Number.isInteger(level) || !isMemberAccessLevel(level))
    throw badRequest('access_level', 'does not have a valid value');
}

function validExpiry(clock: Clock, expiresAt: string | null | undefined): string | null {
  if (expiresAt === undefined || expiresAt === null || expiresAt === '') return null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(expiresAt) || Number.isNaN(Date.parse(expiresAt))) {
    throw badRequest('expires_at', 'is invalid');
  }
  if (expiresAt <= clock.now().toISOString().slice(0, 10))
    throw badRequest('expires_at', 'cannot be a date in the past');
  return expiresAt;
}

/** A group always keeps one owner, or nobody could administer it any more. */
async function assertNotLastOwner(db: Executor, target: MemberTarget, member: Member): Promise<void> {
  if (target.kind !== 'group' || member.access_level !== ACCESS_LEVELS.owner) return;
  if ((await countMembersAtLevel(db, sourceOf(target), ACCESS_LEVELS.owner)) <= 1) {
    throw forbidden('403 Forbidden - a group must keep at least one owner');
  }
}

async function assertNotBelowInherited(
  db: Executor,
  target: MemberTarget,
  userId: number,
  level: number,
): Promise<void> {
  const root = inheritanceRootOf(target);
  if (root === null) return;
  const ancestors = await namespaceWithAncestors(db, root);
  const inherited = await membershipsInNamespaces(
    db,
    userId,
    ancestors.filter((n) => n.kind === 'group').map((n) => n.id),
  );
  const highest = Math.max(0, ...inherited.map((m) => m.access_level));
  if (level < highest) {
    const name = accessLevelName(highest);
    throw badRequest(
      'access_level',
      `should be greater than or equal to ${name[0]!.toUpperCase()}${name.slice(1)} inherited membership from group`,
    );
  }
}
