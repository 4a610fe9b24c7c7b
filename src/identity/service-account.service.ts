import { randomBytes } from 'node:crypto';
import { recordAudit, type Actor } from '../audit/audit-log.ts';
import { badRequest } from '../errors/tessera-error.ts';
import type { Executor } from '../store/database.ts';
import { inTransaction } from '../store/in-transaction.ts';
import type { Namespace, User } from '../store/schema.ts';
import {
  countServiceAccounts,
  insertServiceAccount,
  listServiceAccountUsers,
} from '../store/service-accounts.repository.ts';
import { updateUser } from '../store/users.repository.ts';
import { isoNow, type Clock } from '../util/clock.ts';
import { actorFor, type ActingUser } from './acting-user.ts';
import { canAdministerGroup } from './permissions.ts';
import { authorizeGroup } from './resource-access.ts';
import { createUser } from './user.service.ts';

export interface ServiceAccountInput {
  /** Default: `service_account_<hex>`, or `service_account_group_<group id>_<hex>`. */
  username?: string;
  /** Default: `Service account user`. */
  name?: string;
  /** Default: `<username>@noreply.<host>`, an address no person reads. */
  email?: string;
  /** Its OAuth tokens must then act for a person (`user:<id>`), with the intersection of both's permissions. */
  compositeIdentityEnforced?: boolean;
}

export interface ServiceAccountDeps {
  db: Executor;
  clock: Clock;
  /** Its host names the no-reply addresses. */
  externalUrl: string;
}

/**
 * An instance-wide service account: a bot user (`bot_kind = 'service_account'`) that no one signs in
 * as, with the user and service-account audit events in one transaction. Authorisation (an
 * administrator) is the caller's.
 *
 * @example
 * const bot = await createServiceAccount(deps, actor, { compositeIdentityEnforced: true });
 */
export async function createServiceAccount(
  deps: ServiceAccountDeps,
  actor: Actor,
  input: ServiceAccountInput,
): Promise<User> {
  return provision(deps, actor, null, input);
}

/**
 * A service account provisioned by a top-level group; its owner may do this. The account is not made
 * a member: the owner adds it where it should work, like anyone else.
 */
export async function createGroupServiceAccount(
  deps: ServiceAccountDeps,
  acting: ActingUser,
  groupRef: string | number,
  input: ServiceAccountInput,
): Promise<User> {
  const group = await ownedTopLevelGroup(deps, acting, groupRef);
  return provision(deps, actorFor(acting), group, input);
}

/** The service accounts of the instance, or of a group its owner manages. */
export async function listServiceAccounts(
  deps: ServiceAccountDeps,
  scope: { group: null } | { group: string | number; acting: ActingUser },
  page: { limit: number; offset: number },
): Promise<{ accounts: User[]; total: number }> {
  const namespaceId =
    scope.group === null ? null : (await ownedTopLevelGroup(deps, scope.acting, scope.group)).id;
  const [accounts, total] = await Promise.all([
    listServiceAccountUsers(deps.db, namespaceId, page),
    countServiceAccounts(deps.db, namespaceId),
  ]);
  return { accounts, total };
}

async function ownedTopLevelGroup(
  deps: ServiceAccountDeps,
  acting: ActingUser,
  ref: string | number,
): Promise<Namespace> {
  const { group } = await authorizeGroup(deps.db, acting.user, ref, canAdministerGroup);
  if (group.parent_id !== null) throw badRequest('group', 'must be a top-level group');
  return group;
}

async function provision(
  deps: ServiceAccountDeps,
  actor: Actor,
  group: Namespace | null,
  input: ServiceAccountInput,
): Promise<User> {
  const hex = randomBytes(8).toString('hex');
  const username =
    input.username ?? (group ? `service_account_group_${group.id}_${hex}` : `service_account_${hex}`);
  const email = input.email ?? `${username}@noreply.${new URL(deps.externalUrl).hostname}`;
  return inTransaction(deps.db, async (trx) => {
    const created = await createUser(trx, deps.clock, actor, {
      username,
      email,
      name: input.name ?? 'Service account user',
      botKind: 'service_account',
    });
    const user = input.compositeIdentityEnforced
      ? ((await updateUser(trx, created.id, { composite_identity_enforced: 1 })) ?? created)
      : created;
    await insertServiceAccount(trx, {
      user_id: user.id,
      namespace_id: group?.id ?? null,
      creator_id: actor.userId,
      created_at: isoNow(deps.clock),
    });
    await recordAudit(trx, deps.clock, actor, {
      action: 'service_account.created',
      entity: group ? { type: 'Group', id: group.id } : { type: 'Instance', id: null },
      target: { type: 'User', id: user.id, details: user.username },
      details: {
        user_id: user.id,
        username: user.username,
        composite_identity_enforced: user.composite_identity_enforced === 1,
        ...(group ? { group_id: group.id } : {}),
      },
    });
    return user;
  });
}
