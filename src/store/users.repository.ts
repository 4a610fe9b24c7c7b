import type { Executor } from './database.ts';
import { preparedQuery } from './prepared-query.ts';
import type { NewUser, User, UserUpdate } from './schema.ts';
import { containsIgnoringCase } from './like-pattern.ts';

export async function insertUser(db: Executor, user: NewUser): Promise<User> {
  return db.insertInto('users').values(user).returningAll().executeTakeFirstOrThrow();
}

export async function findUserById(db: Executor, id: number): Promise<User | undefined> {
  return (await userById(db, id))[0];
}

// Every authenticated request of most kinds reads its user: compiled once.
const userById = preparedQuery((db: Executor, id: number) =>
  db.selectFrom('users').selectAll().where('id', '=', id),
);

export async function findUserByUsername(db: Executor, username: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
}

/** The user a sign-in names, by username or by email (both compared case-insensitively). */
export async function findUserByLogin(db: Executor, login: string): Promise<User | undefined> {
  const lowered = login.toLowerCase();
  return db
    .selectFrom('users')
    .selectAll()
    .where((eb) =>
      eb.or([eb(eb.fn('lower', ['username']), '=', lowered), eb(eb.fn('lower', ['email']), '=', lowered)]),
    )
    .executeTakeFirst();
}

export interface UserFilter {
  username?: string;
  search?: string;
  /**
   * Whether `search` also matches email addresses. Only for admins: Tessera has no public email, and
   * matching anyone else's private address would let a caller recover it by fragments.
   */
  searchEmails?: boolean;
  /** Only users in this state. */
  state?: User['state'];
  /** Include bot users (project/group bots, service accounts). */
  includeBots?: boolean;
  limit: number;
  offset: number;
}

export async function listUsers(db: Executor, filter: UserFilter): Promise<User[]> {
  return filteredUsers(db, filter)
    .selectAll()
    .orderBy('id')
    .limit(filter.limit)
    .offset(filter.offset)
    .execute();
}

/** How many users the filter matches, ignoring its limit and offset (for pagination headers). */
export async function countUsersMatching(
  db: Executor,
  filter: Omit<UserFilter, 'limit' | 'offset'>,
): Promise<number> {
  const row = await filteredUsers(db, filter)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function filteredUsers(db: Executor, filter: Omit<UserFilter, 'limit' | 'offset'>) {
  let query = db.selectFrom('users');
  if (filter.username !== undefined) {
    query = query.where((eb) => eb(eb.fn('lower', ['username']), '=', filter.username!.toLowerCase()));
  }
  if (filter.search !== undefined) {
    const search = filter.search;
    query = query.where((eb) =>
      eb.or([
        containsIgnoringCase('username', search),
        containsIgnoringCase('name', search),
        ...(filter.searchEmails ? [containsIgnoringCase('email', search)] : []),
      ]),
    );
  }
  if (filter.state !== undefined) query = query.where('state', '=', filter.state);
  if (!filter.includeBots) query = query.where('bot_kind', 'is', null);
  return query;
}

export async function findUsersByIds(db: Executor, ids: readonly number[]): Promise<User[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('users')
    .selectAll()
    .where('id', 'in', [...new Set(ids)])
    .execute();
}

/** Username lookup as uniqueness is meant: `Alice` and `alice` are the same name. */
export async function findUserByUsernameIgnoringCase(
  db: Executor,
  username: string,
): Promise<User | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['username']), '=', username.toLowerCase()))
    .executeTakeFirst();
}

export async function findUserByEmail(db: Executor, email: string): Promise<User | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .executeTakeFirst();
}

export async function updateUser(db: Executor, id: number, changes: UserUpdate): Promise<User | undefined> {
  return db.updateTable('users').set(changes).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function countUsers(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
