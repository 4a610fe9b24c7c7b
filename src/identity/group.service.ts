import { recordAudit } from '../audit/audit-log.ts';
import { badRequest, forbidden, notFound } from '../errors/tessera-error.ts';
import type { Executor } from '../store/database.ts';
import { inTransaction, isUniqueViolation } from '../store/in-transaction.ts';
import { insertMember } from '../store/members.repository.ts';
import { findGroupByRef, findNamespaceByFullPath, insertNamespace } from '../store/namespaces.repository.ts';
import { findProjectByFullPath } from '../store/projects.repository.ts';
import type { Namespace, Visibility } from '../store/schema.ts';
import type { Clock } from '../util/clock.ts';
import { groupAccessFacts } from './access-facts.service.ts';
import { ACCESS_LEVELS } from './access-levels.ts';
import { actorFor, type ActingUser } from './acting-user.ts';
import { assertValidPath, validName } from './naming-rules.ts';
import { canSee, effectiveAccessLevel } from './permissions.ts';
import { exceedsVisibility } from './visibility.ts';

export interface NewGroupInput {
  name: string;
  path: string;
  /** The parent group, for a subgroup (`parent/child`). */
  parentId?: number | null;
  /** Default `private`; a subgroup is never more open than its parent. */
  visibility?: Visibility;
  description?: string;
}

/** Nesting depth GitLab allows. */
const MAX_DEPTH = 20;

const pathTaken = () => badRequest('path', 'has already been taken');

/**
 * Creates a group, or a subgroup under `parentId`; the creator becomes its owner. Any active person
 * may create a top-level group; a subgroup needs maintainer on the parent (GitLab's default).
 *
 * @example
 * const platform = await createGroup(db, clock, { user: alice, ip }, { name: 'Platform', path: 'platform' });
 * const infra = await createGroup(db, clock, { user: alice, ip }, { name: 'Infra', path: 'infra', parentId: platform.id });
 */
export async function createGroup(
  db: Executor,
  clock: Clock,
  by: ActingUser,
  input: NewGroupInput,
): Promise<Namespace> {
  const name = validName('name', input.name);
  const parentId = input.parentId ?? null;
  assertValidPath('path', input.path, { topLevel: parentId === null });
  if (by.user.state !== 'active' || by.user.bot_kind !== null) throw forbidden();
  const visibility = input.visibility ?? 'private';
  const now = clock.now().toISOString();
  try {
    return await inTransaction(db, async (trx) => {
      let fullPath = input.path;
      if (parentId !== null) {
        const parent = await findGroupByRef(trx, String(parentId));
        const facts = parent && (await groupAccessFacts(trx, by.user, parent));
        if (!parent || !facts || !canSee(facts)) throw notFound('Parent group');
        if (effectiveAccessLevel(facts) < ACCESS_LEVELS.maintainer) throw forbidden();
        if (parent.full_path.split('/').length + 1 > MAX_DEPTH) {
          throw badRequest('parent_id', `has too deep a hierarchy (maximum is ${MAX_DEPTH} levels)`);
        }
        if (exceedsVisibility(visibility, parent.visibility)) {
          throw badRequest(
            'visibility_level',
            `${visibility} is not allowed since the parent group is ${parent.visibility}`,
          );
        }
        fullPath = `${parent.full_path}/${input.path}`;
      }
      // Groups and projects share one URL space, so neither may take the other's path.
      if ((await findNamespaceByFullPath(trx, fullPath)) || (await findProjectByFullPath(trx, fullPath))) {
        throw pathTaken();
      }
      const group = await insertNamespace(trx, {
        kind: 'group',
        name,
        path: input.path,
        full_path: fullPath,
        parent_id: parentId,
        owner_user_id: null,
        visibility,
        description: input.description ?? '',
        created_at: now,
      });
      await insertMember(trx, {
        source: { type: 'namespace', id: group.id },
        userId: by.user.id,
        accessLevel: ACCESS_LEVELS.owner,
        expiresAt: null,
        createdAt: now,
      });
      await recordAudit(trx, clock, actorFor(by), {
        action: 'group.created',
        entity: { type: 'group', id: group.id },
        target: { type: 'group', id: group.id, details: group.full_path },
        details: { full_path: group.full_path, visibility },
      });
      return group;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw pathTaken();
    throw error;
  }
}
