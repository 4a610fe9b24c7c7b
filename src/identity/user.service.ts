import { recordAudit, type Actor } from '../audit/audit-log.ts';
import { badRequest, forbidden, notFound, TesseraError } from '../errors/tessera-error.ts';
import type { Executor } from '../store/database.ts';
import { inTransaction, isUniqueViolation } from '../store/in-transaction.ts';
import { findNamespaceByFullPath, insertNamespace } from '../store/namespaces.repository.ts';
import type { User } from '../store/schema.ts';
import { deleteSessionsOfUser } from '../store/sessions.repository.ts';
import {
  findUserByEmail,
  findUserById,
  findUserByUsernameIgnoringCase,
  insertUser,
  updateUser,
} from '../store/users.repository.ts';
import type { Clock } from '../util/clock.ts';
import { assertValidPath, validEmail, validName } from './naming-rules.ts';
import { hashPassword, passwordProblem, verifyPassword } from './password.ts';

export interface NewUserInput {
  username: string;
  email: string;
  /** Display name; the username when absent. */
  name?: string;
  /** Absent: the user cannot sign in with a password (until one is set). */
  password?: string;
  admin?: boolean;
  /** For bot users and service accounts, which get no personal namespace. */
  botKind?: NonNullable<User['bot_kind']>;
}

const taken = (field: 'username' | 'email') =>
  new TesseraError('conflict', `${field === 'username' ? 'Username' : 'Email'} has already been taken`, {
    field,
  });

/**
 * Creates a user and, for a person, the personal namespace named after them (`path` = username),
 * with the audit event, in one transaction. Authorisation is the caller's: an admin on the API, the
 * operator on the CLI.
 *
 * @example
 * const alice = await createUser(db, clock, SYSTEM_ACTOR, { username: 'alice', email: 'alice@example.com', password });
 */
export async function createUser(
  db: Executor,
  clock: Clock,
  actor: Actor,
  input: NewUserInput,
): Promise<User> {
  assertValidPath('username', input.username, { topLevel: input.botKind === undefined });
  const email = validEmail(input.email);
  const name = validName('name', input.name ?? input.username);
  if (input.password !== undefined) {
    const problem = passwordProblem(input.password);
    if (problem) throw badRequest('password', problem);
  }
  const passwordDigest = input.password === undefined ? null : await hashPassword(input.password);
  const now = clock.now().toISOString();
  try {
    return await inTransaction(db, async (trx) => {
      if (await findUserByUsernameIgnoringCase(trx, input.username)) throw taken('username');
      // A person's username is also the path of their namespace, which groups share.
      if (input.botKind === undefined && (await findNamespaceByFullPath(trx, input.username)))
        throw taken('username');
      if (await findUserByEmail(trx, email)) throw taken('email');
      const user = await insertUser(trx, {
        username: input.username,
        email,
        name,
        password_digest: passwordDigest,
        is_admin: input.admin ? 1 : 0,
        state: 'active',
        bot_kind: input.botKind ?? null,
        composite_identity_enforced: 0,
        created_at: now,
      });
      if (user.bot_kind === null) {
        await insertNamespace(trx, {
          kind: 'user',
          name: user.name,
          path: user.username,
          full_path: user.username,
          parent_id: null,
          owner_user_id: user.id,
          visibility: 'private',
          description: '',
          created_at: now,
        });
      }
      await recordAudit(trx, clock, actor, {
        action: 'user.created',
        entity: { type: 'user', id: user.id },
        target: { type: 'user', id: user.id, details: user.username },
        details: { username: user.username, admin: user.is_admin === 1, bot_kind: user.bot_kind },
      });
      return user;
    });
  } catch (error) {
    // Two creations racing for one name: the loser sees the constraint, and gets the same answer.
    if (isUniqueViolation(error)) throw taken('username');
    throw error;
  }
}

/** Blocks a user: they can no longer sign in or use any credential, and their sessions end now. */
export async function blockUser(db: Executor, clock: Clock, actor: Actor, userId: number): Promise<User> {
  return setState(db, clock, actor, userId, 'blocked');
}

/** Lets a blocked user in again; a deactivated one is activated instead, as on the platform. */
export async function unblockUser(db: Executor, clock: Clock, actor: Actor, userId: number): Promise<User> {
  return setState(db, clock, actor, userId, 'active', (user) => {
    if (user.state === 'deactivated') throw forbidden('Deactivated users cannot be unblocked by the API');
  });
}

/**
 * Deactivates a user: every credential they hold (tokens, OAuth grants, job tokens of their jobs, git
 * and registry logins) is refused until {@link activateUser}, and their sessions end now. Unlike
 * blocking it is not a sanction, so nothing is revoked. A blocked user stays blocked.
 */
export async function deactivateUser(
  db: Executor,
  clock: Clock,
  actor: Actor,
  userId: number,
): Promise<User> {
  return setState(db, clock, actor, userId, 'deactivated', (user) => {
    if (user.state === 'blocked') throw forbidden('A blocked user cannot be deactivated by the API');
  });
}

/** Activates a deactivated user: their credentials work again. A blocked user must be unblocked instead. */
export async function activateUser(db: Executor, clock: Clock, actor: Actor, userId: number): Promise<User> {
  return setState(db, clock, actor, userId, 'active', (user) => {
    if (user.state === 'blocked') throw forbidden('A blocked user must be unblocked to be activated');
  });
}

const STATE_ACTIONS: Record<User['state'], string> = {
  blocked: 'user.blocked',
  deactivated: 'user.deactivated',
  active: 'user.unblocked',
};

async function setState(
  db: Executor,
  clock: Clock,
  actor: Actor,
  userId: number,
  state: User['state'],
  allowed: (user: User) => void = () => undefined,
): Promise<User> {
  return inTransaction(db, async (trx) => {
    const user = await findUserById(trx, userId);
    if (!user) throw notFound('User');
    if (user.state === state) return user;
    allowed(user);
    const updated = (await updateUser(trx, userId, { state }))!;
    if (state !== 'active') await deleteSessionsOfUser(trx, userId);
    await recordAudit(trx, clock, actor, {
      action: state === 'active' && user.state === 'deactivated' ? 'user.activated' : STATE_ACTIONS[state],
      entity: { type: 'user', id: userId },
      target: { type: 'user', id: userId, details: user.username },
    });
    return updated;
  });
}

/** Grants or withdraws instance administration. */
export async function setAdmin(
  db: Executor,
  clock: Clock,
  actor: Actor,
  userId: number,
  admin: boolean,
): Promise<User> {
  return inTransaction(db, async (trx) => {
    const user = await findUserById(trx, userId);
    if (!user) throw notFound('User');
    if ((user.is_admin === 1) === admin) return user;
    const updated = (await updateUser(trx, userId, { is_admin: admin ? 1 : 0 }))!;
    await recordAudit(trx, clock, actor, {
      action: admin ? 'user.admin_granted' : 'user.admin_revoked',
      entity: { type: 'user', id: userId },
      target: { type: 'user', id: userId, details: user.username },
    });
    return updated;
  });
}

/** Sets (or replaces) a user's password; their other sessions end. */
export async function setPassword(
  db: Executor,
  clock: Clock,
  actor: Actor,
  userId: number,
  password: string,
): Promise<void> {
  const problem = passwordProblem(password);
  if (problem) throw badRequest('password', problem);
  const digest = await hashPassword(password);
  await inTransaction(db, async (trx) => {
    const user = await updateUser(trx, userId, { password_digest: digest });
    if (!user) throw notFound('User');
    await deleteSessionsOfUser(trx, userId);
    await recordAudit(trx, clock, actor, {
      action: 'user.password_changed',
      entity: { type: 'user', id: userId },
      target: { type: 'user', id: userId, details: user.username },
    });
  });
}

/**
 * A person changes their own password: the current one must be given (a session left open on a shared
 * machine must not be enough to take the account over). As with {@link setPassword}, every session of
 * theirs ends, this one included, so they sign in again with the new password.
 */
export async function changeOwnPassword(
  db: Executor,
  clock: Clock,
  actor: Actor,
  user: User,
  change: { current: string; password: string },
): Promise<void> {
  const stored = await findUserById(db, user.id);
  if (!stored || !(await verifyPassword(change.current, stored.password_digest)))
    throw badRequest('current_password', 'is invalid');
  if (change.current === change.password) throw badRequest('password', 'must differ from the current one');
  await setPassword(db, clock, actor, user.id, change.password);
}
