import type { Executor } from './database.ts';
import type { AccessToken, DeployToken } from './schema.ts';
import type { Job, Runner } from './ci-schema.ts';
import type { OAuthApplication, OAuthGrant } from './oauth.tables.ts';
import type { PipelineTrigger } from './pipeline-triggers.tables.ts';

/*
 * The queries behind deleting a credential holder (a project, a group, a user): find every credential
 * that belongs to it, and remove the holder's rows. Each list takes the holders' ids, so a group's
 * teardown asks once for all its subgroups and projects.
 */

const some = (ids: readonly number[]) => ids.length > 0;

/** Projects that live in any of these namespaces (groups or personal namespaces). */
export async function listProjectIdsInNamespaces(
  db: Executor,
  namespaceIds: readonly number[],
): Promise<number[]> {
  if (!some(namespaceIds)) return [];
  const rows = await db
    .selectFrom('projects')
    .select('id')
    .where('namespace_id', 'in', [...namespaceIds])
    .execute();
  return rows.map((r) => r.id);
}

/** Personal namespaces of these users. */
export async function listPersonalNamespaceIds(db: Executor, userIds: readonly number[]): Promise<number[]> {
  if (!some(userIds)) return [];
  const rows = await db
    .selectFrom('namespaces')
    .select('id')
    .where('kind', '=', 'user')
    .where('owner_user_id', 'in', [...userIds])
    .execute();
  return rows.map((r) => r.id);
}

/** Every access token (any state) owned by these users: personal, impersonation, and a bot's resource token. */
export async function listAccessTokensOfUsers(
  db: Executor,
  userIds: readonly number[],
): Promise<AccessToken[]> {
  if (!some(userIds)) return [];
  return db
    .selectFrom('access_tokens')
    .selectAll()
    .where('user_id', 'in', [...userIds])
    .orderBy('id')
    .execute();
}

/** Project (`kind = 'project'`) or group access tokens of these resources, any state. */
export async function listResourceAccessTokens(
  db: Executor,
  kind: 'project' | 'group',
  resourceIds: readonly number[],
): Promise<AccessToken[]> {
  if (!some(resourceIds)) return [];
  return db
    .selectFrom('access_tokens')
    .selectAll()
    .where('kind', '=', kind)
    .where('resource_id', 'in', [...resourceIds])
    .orderBy('id')
    .execute();
}

/** Bot users that are members of these projects or groups (a resource token's bot outlives a revoked token). */
export async function listBotMemberIds(
  db: Executor,
  sourceType: 'project' | 'namespace',
  sourceIds: readonly number[],
): Promise<number[]> {
  if (!some(sourceIds)) return [];
  const rows = await db
    .selectFrom('members')
    .innerJoin('users', 'users.id', 'members.user_id')
    .select('users.id')
    .where('members.source_type', '=', sourceType)
    .where('members.source_id', 'in', [...sourceIds])
    .where('users.bot_kind', 'in', ['project_bot', 'group_bot'])
    .execute();
  return rows.map((r) => r.id);
}

/** Service accounts a group provisioned. */
export async function listServiceAccountIdsOfGroups(
  db: Executor,
  groupIds: readonly number[],
): Promise<number[]> {
  if (!some(groupIds)) return [];
  const rows = await db
    .selectFrom('service_accounts')
    .select('user_id')
    .where('namespace_id', 'in', [...groupIds])
    .execute();
  return rows.map((r) => r.user_id);
}

/** Deploy tokens not yet revoked of these projects or groups. */
export async function listLiveDeployTokens(
  db: Executor,
  owners: { projectIds: readonly number[]; groupIds: readonly number[] },
): Promise<DeployToken[]> {
  if (!some(owners.projectIds) && !some(owners.groupIds)) return [];
  return db
    .selectFrom('deploy_tokens')
    .selectAll()
    .where('revoked', '=', 0)
    .where((eb) =>
      eb.or([
        ...(some(owners.projectIds) ? [eb('project_id', 'in', [...owners.projectIds])] : []),
        ...(some(owners.groupIds) ? [eb('group_id', 'in', [...owners.groupIds])] : []),
      ]),
    )
    .orderBy('id')
    .execute();
}

/** Pipeline triggers of these projects, or owned by these users. */
export async function listPipelineTriggersOf(
  db: Executor,
  holders: { projectIds: readonly number[]; ownerIds: readonly number[] },
): Promise<PipelineTrigger[]> {
  if (!some(holders.projectIds) && !some(holders.ownerIds)) return [];
  return db
    .selectFrom('ci_pipeline_triggers')
    .selectAll()
    .where((eb) =>
      eb.or([
        ...(some(holders.projectIds) ? [eb('project_id', 'in', [...holders.projectIds])] : []),
        ...(some(holders.ownerIds) ? [eb('owner_id', 'in', [...holders.ownerIds])] : []),
      ]),
    )
    .orderBy('id')
    .execute();
}

export async function deletePipelineTriggersByIds(db: Executor, ids: readonly number[]): Promise<void> {
  if (some(ids))
    await db
      .deleteFrom('ci_pipeline_triggers')
      .where('id', 'in', [...ids])
      .execute();
}

/** Runners scoped to these projects (`project_type`). */
export async function listProjectRunners(db: Executor, projectIds: readonly number[]): Promise<Runner[]> {
  if (!some(projectIds)) return [];
  return db
    .selectFrom('ci_runners')
    .selectAll()
    .where('project_id', 'in', [...projectIds])
    .orderBy('id')
    .execute();
}

export async function deleteRunnersByIds(db: Executor, ids: readonly number[]): Promise<void> {
  if (some(ids))
    await db
      .deleteFrom('ci_runners')
      .where('id', 'in', [...ids])
      .execute();
}

/** Jobs whose token is live (running) in these projects or run as these users. */
export async function listRunningJobsOf(
  db: Executor,
  holders: { projectIds: readonly number[]; userIds: readonly number[] },
): Promise<Job[]> {
  if (!some(holders.projectIds) && !some(holders.userIds)) return [];
  return db
    .selectFrom('ci_jobs')
    .selectAll()
    .where('status', '=', 'running')
    .where((eb) =>
      eb.or([
        ...(some(holders.projectIds) ? [eb('project_id', 'in', [...holders.projectIds])] : []),
        ...(some(holders.userIds) ? [eb('user_id', 'in', [...holders.userIds])] : []),
      ]),
    )
    .orderBy('id')
    .execute();
}

/** Cancels running jobs and drops their token digests, so the token cannot match any row again. */
export async function cancelJobsDroppingTokens(
  db: Executor,
  ids: readonly number[],
  at: string,
): Promise<void> {
  if (!some(ids)) return;
  await db
    .updateTable('ci_jobs')
    .set({ status: 'canceled', finished_at: at, token_digest: null })
    .where('id', 'in', [...ids])
    .where('status', '=', 'running')
    .execute();
}

/** Live OAuth grants whose token owner is one of these users. */
export async function listLiveOAuthGrantsOfUsers(
  db: Executor,
  userIds: readonly number[],
): Promise<OAuthGrant[]> {
  if (!some(userIds)) return [];
  return db
    .selectFrom('oauth_grants')
    .selectAll()
    .where('user_id', 'in', [...userIds])
    .where('revoked_at', 'is', null)
    .orderBy('id')
    .execute();
}

/** Live composite-identity grants made for workflows of these projects or users. */
export async function listLiveWorkflowGrants(
  db: Executor,
  holders: { projectIds: readonly number[]; userIds: readonly number[] },
): Promise<OAuthGrant[]> {
  if (!some(holders.projectIds) && !some(holders.userIds)) return [];
  const workflows = await db
    .selectFrom('ai_workflows')
    .select('id')
    .where((eb) =>
      eb.or([
        ...(some(holders.projectIds) ? [eb('project_id', 'in', [...holders.projectIds])] : []),
        ...(some(holders.userIds) ? [eb('user_id', 'in', [...holders.userIds])] : []),
      ]),
    )
    .execute();
  if (workflows.length === 0) return [];
  return db
    .selectFrom('oauth_grants')
    .selectAll()
    .where(
      'workflow_id',
      'in',
      workflows.map((w) => String(w.id)),
    )
    .where('revoked_at', 'is', null)
    .orderBy('id')
    .execute();
}

/** OAuth applications these users own (their secrets, grants and tokens go with them). */
export async function listOAuthApplicationsOfOwners(
  db: Executor,
  ownerIds: readonly number[],
): Promise<OAuthApplication[]> {
  if (!some(ownerIds)) return [];
  return db
    .selectFrom('oauth_applications')
    .selectAll()
    .where('owner_id', 'in', [...ownerIds])
    .orderBy('id')
    .execute();
}

/** How many browser sessions each of these users has. */
export async function countSessionsOfUsers(
  db: Executor,
  userIds: readonly number[],
): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  if (!some(userIds)) return counts;
  const rows = await db
    .selectFrom('sessions')
    .select(['user_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('user_id', 'in', [...userIds])
    .groupBy('user_id')
    .execute();
  for (const row of rows) counts.set(row.user_id, Number(row.n));
  return counts;
}

/** Groups in which the user is an owner (50) and no one else is. */
export async function listGroupIdsSolelyOwnedBy(db: Executor, userId: number): Promise<number[]> {
  const owned = await db
    .selectFrom('members')
    .select('source_id')
    .where('source_type', '=', 'namespace')
    .where('user_id', '=', userId)
    .where('access_level', '>=', 50)
    .execute();
  const sole: number[] = [];
  for (const { source_id: groupId } of owned) {
    const others = await db
      .selectFrom('members')
      .select('id')
      .where('source_type', '=', 'namespace')
      .where('source_id', '=', groupId)
      .where('user_id', '!=', userId)
      .where('access_level', '>=', 50)
      .executeTakeFirst();
    if (!others) sole.push(groupId);
  }
  return sole;
}

/** Removes these holders' rows; the foreign keys take what hangs off them (links, settings, pipelines). */
export async function deleteHolderRows(
  db: Executor,
  rows: { projectIds: readonly number[]; namespaceIds: readonly number[]; userIds: readonly number[] },
): Promise<void> {
  // Memberships name their source without a foreign key, so they go first, by hand.
  if (some(rows.projectIds)) {
    await db
      .deleteFrom('members')
      .where('source_type', '=', 'project')
      .where('source_id', 'in', [...rows.projectIds])
      .execute();
    await db
      .deleteFrom('projects')
      .where('id', 'in', [...rows.projectIds])
      .execute();
  }
  if (some(rows.namespaceIds)) {
    await db
      .deleteFrom('members')
      .where('source_type', '=', 'namespace')
      .where('source_id', 'in', [...rows.namespaceIds])
      .execute();
    await db
      .deleteFrom('namespaces')
      .where('id', 'in', [...rows.namespaceIds])
      .execute();
  }
  if (some(rows.userIds))
    await db
      .deleteFrom('users')
      .where('id', 'in', [...rows.userIds])
      .execute();
}
