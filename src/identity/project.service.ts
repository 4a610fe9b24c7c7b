import { recordAudit } from '../audit/audit-log.ts';
import { badRequest, forbidden, notFound } from '../errors/tessera-error.ts';
import type { Executor } from '../store/database.ts';
import { inTransaction, isUniqueViolation } from '../store/in-transaction.ts';
import { insertMember } from '../store/members.repository.ts';
import {
  findNamespaceByFullPath,
  findNamespaceById,
  findUserNamespace,
} from '../store/namespaces.repository.ts';
import { findProjectByFullPath, insertProject } from '../store/projects.repository.ts';
import type { Namespace, Project, Visibility } from '../store/schema.ts';
import type { Clock } from '../util/clock.ts';
import { groupAccessFacts } from './access-facts.service.ts';
import { ACCESS_LEVELS } from './access-levels.ts';
import { actorFor, type ActingUser } from './acting-user.ts';
import { assertValidPath, pathFromName, validName } from './naming-rules.ts';
import { canSee, effectiveAccessLevel } from './permissions.ts';
import { exceedsVisibility } from './visibility.ts';

export interface NewProjectInput {
  /** At least one of name and path; each is derived from the other when absent. */
  name?: string;
  path?: string;
  /** Group or personal namespace, by id or full path; the creator's own namespace when absent. */
  namespace?: number | string;
  /** Default `private`; never more open than the group that holds it. */
  visibility?: Visibility;
  description?: string;
  defaultBranch?: string;
}

/**
 * Creates a project. In a group it needs developer or above there, and the creator becomes a
 * maintainer unless the group already gives them that; in a personal namespace only its owner (or an
 * admin) may create, and the owner is recorded as the project's owner, as GitLab does.
 *
 * @example
 * const api = await createProject(db, clock, { user: alice, ip }, { name: 'API', namespace: 'platform' });
 */
export async function createProject(
  db: Executor,
  clock: Clock,
  by: ActingUser,
  input: NewProjectInput,
): Promise<Project> {
  if (input.name === undefined && input.path === undefined) throw badRequest('name', "can't be blank");
  const name = validName('name', input.name ?? input.path!);
  const path = input.path ?? pathFromName(name);
  assertValidPath('path', path, { topLevel: false });
  if (by.user.state !== 'active' || by.user.bot_kind !== null) throw forbidden();
  const visibility = input.visibility ?? 'private';
  const now = clock.now().toISOString();
  try {
    return await inTransaction(db, async (trx) => {
      const namespace = await targetNamespace(trx, by, input.namespace);
      if (namespace.kind === 'group' && exceedsVisibility(visibility, namespace.visibility)) {
        throw badRequest(
          'visibility_level',
          `${visibility} is not allowed in a ${namespace.visibility} group`,
        );
      }
      const fullPath = `${namespace.full_path}/${path}`;
      if ((await findProjectByFullPath(trx, fullPath)) || (await findNamespaceByFullPath(trx, fullPath))) {
        throw badRequest('path', 'has already been taken');
      }
      const project = await insertProject(trx, {
        name,
        path,
        full_path: fullPath,
        namespace_id: namespace.id,
        visibility,
        description: input.description ?? '',
        default_branch: input.defaultBranch ?? 'main',
        creator_id: by.user.id,
        created_at: now,
      });
      const creatorLevel = await creatorMembership(trx, by, namespace);
      if (creatorLevel !== null) {
        await insertMember(trx, {
          source: { type: 'project', id: project.id },
          userId: namespace.kind === 'user' ? namespace.owner_user_id! : by.user.id,
          accessLevel: creatorLevel,
          expiresAt: null,
          createdAt: now,
        });
      }
      await recordAudit(trx, clock, actorFor(by), {
        action: 'project.created',
        entity: { type: 'project', id: project.id },
        target: { type: 'project', id: project.id, details: project.full_path },
        details: { full_path: project.full_path, visibility },
      });
      return project;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw badRequest('path', 'has already been taken');
    throw error;
  }
}

async function targetNamespace(
  db: Executor,
  by: ActingUser,
  ref: number | string | undefined,
): Promise<Namespace> {
  if (ref === undefined) {
    const own = await findUserNamespace(db, by.user.id);
    if (!own) throw badRequest('namespace', 'is not valid');
    return own;
  }
  const namespace =
    typeof ref === 'number' || /^\d+$/.test(ref)
      ? await findNamespaceById(db, Number(ref))
      : await findNamespaceByFullPath(db, ref);
  if (!namespace) throw notFound('Namespace');
  if (namespace.kind === 'user') {
    if (namespace.owner_user_id === by.user.id) return namespace;
    // Someone else's personal namespace is not even acknowledged, except to an admin.
    if (!by.user.is_admin) throw notFound('Namespace');
    return namespace;
  }
  const facts = await groupAccessFacts(db, by.user, namespace);
  if (!canSee(facts)) throw notFound('Namespace');
  if (effectiveAccessLevel(facts) < ACCESS_LEVELS.developer) throw forbidden();
  return namespace;
}

/** The level of the membership row the creation adds, or null when inherited access already covers it. */
async function creatorMembership(db: Executor, by: ActingUser, namespace: Namespace): Promise<number | null> {
  if (namespace.kind === 'user') return ACCESS_LEVELS.owner;
  const inherited = (await groupAccessFacts(db, by.user, namespace)).memberLevel;
  return inherited >= ACCESS_LEVELS.maintainer ? null : ACCESS_LEVELS.maintainer;
}
