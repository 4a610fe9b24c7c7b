import type { Insertable, Updateable } from 'kysely';
import type { Executor } from './database.ts';
import type { DeployToken, DeployTokensTable } from './schema.ts';

/** Whose deploy tokens: one project's, or one group's. */
export type DeployTokenOwner = { kind: 'project'; id: number } | { kind: 'group'; id: number };

/** Stores a new deploy token (digests and sealed copy, never a plaintext) and returns the row. */
export async function insertDeployToken(
  db: Executor,
  token: Insertable<DeployTokensTable>,
): Promise<DeployToken> {
  return db.insertInto('deploy_tokens').values(token).returningAll().executeTakeFirstOrThrow();
}

export async function findDeployTokenById(db: Executor, id: number): Promise<DeployToken | undefined> {
  return db.selectFrom('deploy_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * The token whose current or previous (rotated-out) secret digests to `digest`, whatever its state;
 * the caller decides whether the previous secret is still inside its overlap window.
 */
export async function findDeployTokenByDigest(
  db: Executor,
  digest: string,
): Promise<DeployToken | undefined> {
  const current = await db
    .selectFrom('deploy_tokens')
    .selectAll()
    .where('digest', '=', digest)
    .executeTakeFirst();
  if (current) return current;
  return db.selectFrom('deploy_tokens').selectAll().where('previous_digest', '=', digest).executeTakeFirst();
}

export async function updateDeployToken(
  db: Executor,
  id: number,
  changes: Updateable<DeployTokensTable>,
): Promise<DeployToken | undefined> {
  return db.updateTable('deploy_tokens').set(changes).where('id', '=', id).returningAll().executeTakeFirst();
}

/**
 * Replaces a token's secret, only if it still has the secret the caller read (`expectedDigest`) and is
 * not revoked: of two concurrent rotations one wins, and the other gets undefined instead of silently
 * invalidating the winner's new secret.
 */
export async function replaceDeployTokenSecret(
  db: Executor,
  id: number,
  expectedDigest: string,
  changes: Pick<
    Updateable<DeployTokensTable>,
    'digest' | 'previous_digest' | 'previous_valid_until' | 'secret_sealed' | 'rotated_at'
  >,
): Promise<DeployToken | undefined> {
  return db
    .updateTable('deploy_tokens')
    .set(changes)
    .where('id', '=', id)
    .where('digest', '=', expectedDigest)
    .where('revoked', '=', 0)
    .returningAll()
    .executeTakeFirst();
}

/** What a listing may be narrowed by; `now` is an ISO instant. */
export interface DeployTokenFilter {
  owner?: DeployTokenOwner;
  /** true: not revoked and not expired at `now`; false: the rest. */
  active?: { value: boolean; now: string };
  name?: string;
  autoCreated?: boolean;
  /** Active tokens whose expiry falls in [now, before]. */
  expiringBefore?: { now: string; before: string };
}

function filtered(db: Executor, filter: DeployTokenFilter) {
  let query = db.selectFrom('deploy_tokens');
  if (filter.owner) {
    query =
      filter.owner.kind === 'project'
        ? query.where('project_id', '=', filter.owner.id)
        : query.where('group_id', '=', filter.owner.id);
  }
  if (filter.active) {
    const { value, now } = filter.active;
    query = value
      ? query
          .where('revoked', '=', 0)
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      : query.where((eb) => eb.or([eb('revoked', '=', 1), eb('expires_at', '<=', now)]));
  }
  if (filter.name !== undefined) query = query.where('name', '=', filter.name);
  if (filter.autoCreated !== undefined) query = query.where('auto_created', '=', filter.autoCreated ? 1 : 0);
  if (filter.expiringBefore) {
    query = query
      .where('revoked', '=', 0)
      .where('expires_at', '>', filter.expiringBefore.now)
      .where('expires_at', '<=', filter.expiringBefore.before);
  }
  return query;
}

/** One page of the matching tokens, oldest first (as the platform lists them). */
export async function listDeployTokens(
  db: Executor,
  filter: DeployTokenFilter,
  page: { limit: number; offset: number },
): Promise<DeployToken[]> {
  return filtered(db, filter).selectAll().orderBy('id').limit(page.limit).offset(page.offset).execute();
}

export async function countDeployTokens(db: Executor, filter: DeployTokenFilter): Promise<number> {
  const row = await filtered(db, filter)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Marks a token revoked and forgets its secrets' sealed copy; true when it was not revoked before. */
export async function revokeDeployToken(db: Executor, id: number, at: string): Promise<boolean> {
  const result = await db
    .updateTable('deploy_tokens')
    .set({
      revoked: 1,
      revoked_at: at,
      secret_sealed: null,
      previous_digest: null,
      previous_valid_until: null,
    })
    .where('id', '=', id)
    .where('revoked', '=', 0)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Removes a token for good (the API's DELETE); the audit log keeps its history. */
export async function deleteDeployToken(db: Executor, id: number): Promise<boolean> {
  const result = await db.deleteFrom('deploy_tokens').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Records a use at most once per throttle window (`notAfter`): a hot token is not a hot row. */
export async function touchDeployTokenUsage(
  db: Executor,
  id: number,
  usage: { at: string; notAfter: string },
): Promise<void> {
  await db
    .updateTable('deploy_tokens')
    .set({ last_used_at: usage.at })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', usage.notAfter)]))
    .execute();
}
