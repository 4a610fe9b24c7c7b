import type { Executor } from './database.ts';
import type { NewUser, User, UserUpdate } from './schema.ts';

export async function insertUser(db: Executor, user: NewUser): Promise<User> {
  return db.insertInto('users').values(user).returningAll().executeTakeFirstOrThrow();
}

export async function findUserById(db: Executor, id: number): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findUserByUsername(db: Executor, username: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
}

/** The user a sign-in names, by username or by email (both compared case-insensitively). */
export async function findUserByLogin(db: Executor, login: string): Promise<User | undefined> {
  const lowered = login.toLowerCase();
  return db
    .selectFrom('users')
    .selectAll()
    .where((eb) => eb.or([eb(eb.fn('lower', ['username']), '=', lowered), eb(eb.fn('lower', ['email']), '=', lowered)]))
    .executeTakeFirst();
}

export interface UserFilter {
  username?: string;
  search?: string;
  /** Include bot users (project/group bots, service accounts). */
  includeBots?: boolean;
  limit: number;
  offset: number;
}

export async function listUsers(db: Executor, filter: UserFilter): Promise<User[]> {
  let query = db.selectFrom('users').selectAll();
  if (filter.username !== undefined) query = query.where('username', '=', filter.username);
  if (filter.search !== undefined) {
    const pattern = `%${filter.search.toLowerCase()}%`;
    query = query.where((eb) =>
      eb.or([
        eb(eb.fn('lower', ['username']), 'like', pattern),
        eb(eb.fn('lower', ['name']), 'like', pattern),
        eb(eb.fn('lower', ['email']), 'like', pattern),
      ]),
    );
  }
  if (!filter.includeBots) query = query.where('bot_kind', 'is', null);
  return query.orderBy('id').limit(filter.limit).offset(filter.offset).execute();
}

export async function updateUser(db: Executor, id: number, changes: UserUpdate): Promise<User | undefined> {
  return db.updateTable('users').set(changes).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function countUsers(db: Executor): Promise<number> {
  const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
