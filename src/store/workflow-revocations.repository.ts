import { sql } from 'kysely';
import type { Executor, Trx } from './database.ts';

/** Whose workflow: the instance that named it, and its id there. */
export interface WorkflowKey {
  instanceId: string;
  workflowId: string;
}

/** A live revocation with the `jti`s generated for its workflow since. */
export interface StoredWorkflowRevocation extends WorkflowKey {
  generation: number;
  version: number;
  revokedAt: string;
  forgetAt: string;
  fresh: string[];
}

/**
 * Takes the next version for a change to the revocations. Call it first in the transaction: the
 * counter's row stays locked until the transaction ends, so versions become visible in the order they
 * were taken, and a replica that saw version N has seen every change before it.
 */
export async function takeWorkflowRevocationVersion(trx: Trx): Promise<number> {
  const row = await trx
    .updateTable('workflow_revocation_versions')
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('id', '=', 1)
    .returning('version')
    .executeTakeFirstOrThrow();
  return Number(row.version);
}

/** The version of the latest committed change (0 before the first). */
export async function latestWorkflowRevocationVersion(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('workflow_revocation_versions')
    .select('version')
    .where('id', '=', 1)
    .executeTakeFirst();
  return Number(row?.version ?? 0);
}

/** The workflow's revocation while it is in force (`forget_at` after `now`). */
export async function findWorkflowRevocation(
  db: Executor,
  key: WorkflowKey,
  now: string,
): Promise<StoredWorkflowRevocation | undefined> {
  const [found] = await listRevocations(db, now, { key });
  return found;
}

/** Revocations in force that changed after `version`, oldest change first. */
export async function listWorkflowRevocationsChangedSince(
  db: Executor,
  version: number,
  now: string,
): Promise<StoredWorkflowRevocation[]> {
  return listRevocations(db, now, { since: version });
}

/** How many revocations are in force. */
export async function countLiveWorkflowRevocations(db: Executor, now: string): Promise<number> {
  const row = await db
    .selectFrom('workflow_revocations')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('forget_at', '>', now)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Records a new revocation of the workflow, replacing the previous one and forgetting its fresh tokens. */
export async function saveWorkflowRevocation(
  trx: Trx,
  revocation: Omit<StoredWorkflowRevocation, 'fresh'>,
): Promise<void> {
  const key = { instance_id: revocation.instanceId, workflow_id: revocation.workflowId };
  await trx
    .deleteFrom('workflow_revocation_fresh_tokens')
    .where('instance_id', '=', key.instance_id)
    .where('workflow_id', '=', key.workflow_id)
    .execute();
  const change = {
    generation: revocation.generation,
    version: revocation.version,
    revoked_at: revocation.revokedAt,
    forget_at: revocation.forgetAt,
  };
  await trx
    .insertInto('workflow_revocations')
    .values({ ...key, ...change })
    .onConflict((conflict) => conflict.columns(['instance_id', 'workflow_id']).doUpdateSet(change))
    .execute();
}

/**
 * Notes a token generated for the workflow as fresh, if the revocation in force is still the one of
 * `generation` (a later revocation refuses the token); the row takes `version`. True when noted.
 */
export async function addFreshWorkflowToken(
  trx: Trx,
  key: WorkflowKey,
  jti: string,
  generation: number,
  version: number,
): Promise<boolean> {
  const touched = await trx
    .updateTable('workflow_revocations')
    .set({ version })
    .where('instance_id', '=', key.instanceId)
    .where('workflow_id', '=', key.workflowId)
    .where('generation', '=', generation)
    .executeTakeFirst();
  if (Number(touched.numUpdatedRows) === 0) return false;
  await trx
    .insertInto('workflow_revocation_fresh_tokens')
    .values({ instance_id: key.instanceId, workflow_id: key.workflowId, jti })
    .onConflict((conflict) => conflict.doNothing())
    .execute();
  return true;
}

/** Deletes the revocations whose tokens have all expired (and their fresh tokens with them). */
export async function deleteForgottenWorkflowRevocations(trx: Trx, now: string): Promise<void> {
  await trx.deleteFrom('workflow_revocations').where('forget_at', '<=', now).execute();
}

/** Which revocations: one workflow's, or those changed after a version. */
type Narrowing = { key: WorkflowKey } | { since: number };

async function listRevocations(
  db: Executor,
  now: string,
  narrowing: Narrowing,
): Promise<StoredWorkflowRevocation[]> {
  // One condition on `r` for both queries below (the revocations, and their fresh tokens).
  const which =
    'key' in narrowing
      ? sql<boolean>`r.instance_id = ${narrowing.key.instanceId} and r.workflow_id = ${narrowing.key.workflowId}`
      : sql<boolean>`r.version > ${narrowing.since}`;
  const rows = await db
    .selectFrom('workflow_revocations as r')
    .selectAll('r')
    .where('r.forget_at', '>', now)
    .where(which)
    .orderBy('r.version', 'asc')
    .execute();
  if (rows.length === 0) return [];
  const fresh = await db
    .selectFrom('workflow_revocation_fresh_tokens as f')
    .innerJoin('workflow_revocations as r', (join) =>
      join.onRef('r.instance_id', '=', 'f.instance_id').onRef('r.workflow_id', '=', 'f.workflow_id'),
    )
    .select(['f.instance_id', 'f.workflow_id', 'f.jti'])
    .where('r.forget_at', '>', now)
    .where(which)
    .execute();
  const byKey = new Map<string, string[]>();
  for (const token of fresh) {
    const key = JSON.stringify([token.instance_id, token.workflow_id]);
    byKey.set(key, [...(byKey.get(key) ?? []), token.jti]);
  }
  return rows.map((row) => ({
    instanceId: row.instance_id,
    workflowId: row.workflow_id,
    generation: Number(row.generation),
    version: Number(row.version),
    revokedAt: row.revoked_at,
    forgetAt: row.forget_at,
    fresh: byKey.get(JSON.stringify([row.instance_id, row.workflow_id])) ?? [],
  }));
}
