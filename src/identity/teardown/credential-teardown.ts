import { recordAudit, type Actor } from '../../audit/audit-log.ts';
import { publishEviction } from '../../tokens/cache-evictions.ts';
import { forgetEndedJobs, forgetJobsOfUser } from '../../tokens/job/job-token-cache.ts';
import {
  cancelJobsDroppingTokens,
  countSessionsOfUsers,
  deleteHolderRows,
  deletePipelineTriggersByIds,
  deleteRunnersByIds,
  listAccessTokensOfUsers,
  listBotMemberIds,
  listLiveDeployTokens,
  listLiveOAuthGrantsOfUsers,
  listLiveWorkflowGrants,
  listOAuthApplicationsOfOwners,
  listPersonalNamespaceIds,
  listPipelineTriggersOf,
  listProjectIdsInNamespaces,
  listProjectRunners,
  listResourceAccessTokens,
  listRunningJobsOf,
  listServiceAccountIdsOfGroups,
} from '../../store/credential-holders.repository.ts';
import { revokeAccessTokens } from '../../store/access-tokens.repository.ts';
import type { Trx } from '../../store/database.ts';
import { revokeDeployToken } from '../../store/deploy-tokens.repository.ts';
import { findNamespacesByIds, groupWithDescendantIds } from '../../store/namespaces.repository.ts';
import { revokeOAuthGrant } from '../../store/oauth-grants.repository.ts';
import { deleteSessionsOfUser } from '../../store/sessions.repository.ts';
import { deleteProjectRegistrationTokens } from '../../store/ci-runner-registration.repository.ts';
import { findUsersByIds } from '../../store/users.repository.ts';
import { auditAccessToken } from '../../tokens/access/issue-access-token.ts';
import { isoNow } from '../../util/clock.ts';
import type { TeardownDeps } from './teardown-deps.ts';

/** What is being deleted, as the caller names it; {@link tearDownHolders} adds everything that hangs off it. */
export interface HolderRoots {
  projectIds?: readonly number[];
  groupIds?: readonly number[];
  userIds?: readonly number[];
}

/** Why, as every audit event of the teardown records it: `project_deleted`, `group_deleted`, `user_deleted`. */
export type TeardownReason = 'project_deleted' | 'group_deleted' | 'user_deleted';

/** What the teardown removed, for the work that must wait for the commit (caches, repositories on disk). */
export interface TeardownResult {
  projectIds: number[];
  groupIds: number[];
  userIds: number[];
  accessTokenDigests: string[];
  deployTokenIds: number[];
  /** Running jobs canceled with their tokens dropped. */
  jobIds: number[];
}

const unique = (ids: Iterable<number>) => [...new Set(ids)];

/**
 * Deletes projects, groups and users inside `trx`, and with them every credential they hold, each
 * revocation audited in the same transaction: access tokens (personal, impersonation, project and
 * group tokens with their bot users), deploy tokens, pipeline triggers, project runners and runner
 * registration tokens, the job
 * tokens of running jobs, OAuth grants (with every access and refresh token) and the OAuth
 * applications a deleted user owned, and browser sessions. A group brings its subgroups and their
 * projects; a user brings their personal projects. Nothing is left for a later sweep, so no credential
 * outlives its holder by even one request once {@link afterTeardown} has purged this process's caches.
 *
 * @example
 * const removed = await tearDownHolders(trx, deps, actor, { projectIds: [project.id] }, 'project_deleted');
 */
export async function tearDownHolders(
  trx: Trx,
  deps: TeardownDeps,
  actor: Actor,
  roots: HolderRoots,
  reason: TeardownReason,
): Promise<TeardownResult> {
  const { clock } = deps.access;
  const at = isoNow(clock);
  const audit = (record: Parameters<typeof recordAudit>[3]) =>
    recordAudit(trx, clock, actor, { ...record, details: { ...record.details, reason } });

  // 1. Close over what hangs off the roots.
  const groupIds: number[] = [];
  for (const id of roots.groupIds ?? []) groupIds.push(...(await groupWithDescendantIds(trx, id)));
  const groups = unique(groupIds);
  const rootUsers = unique(roots.userIds ?? []);
  const personalNamespaces = await listPersonalNamespaceIds(trx, rootUsers);
  const projects = unique([
    ...(roots.projectIds ?? []),
    ...(await listProjectIdsInNamespaces(trx, [...groups, ...personalNamespaces])),
  ]);
  const resourceTokens = [
    ...(await listResourceAccessTokens(trx, 'project', projects)),
    ...(await listResourceAccessTokens(trx, 'group', groups)),
  ];
  const bots = unique([
    ...resourceTokens.map((t) => t.user_id),
    ...(await listBotMemberIds(trx, 'project', projects)),
    ...(await listBotMemberIds(trx, 'namespace', groups)),
    ...(await listServiceAccountIdsOfGroups(trx, groups)),
  ]).filter((id) => !rootUsers.includes(id));
  const users = [...rootUsers, ...bots];

  // 2. Revoke every credential, one audit event each.
  const accessTokens = (await listAccessTokensOfUsers(trx, users)).filter((t) => t.revoked === 0);
  await revokeAccessTokens(
    trx,
    accessTokens.map((t) => t.id),
    at,
  );
  for (const token of accessTokens)
    await auditAccessToken(trx, deps.access, actor, 'revoked', token, { reason });

  const deployTokens = await listLiveDeployTokens(trx, { projectIds: projects, groupIds: groups });
  for (const token of deployTokens) {
    await revokeDeployToken(trx, token.id, at);
    await audit({
      action: 'deploy_token.revoked',
      entity:
        token.project_id !== null
          ? { type: 'Project', id: token.project_id }
          : { type: 'Group', id: token.group_id },
      target: { type: 'DeployToken', id: token.id, details: token.name },
      details: { token_id: token.id, token_name: token.name, username: token.username },
    });
  }

  const triggers = await listPipelineTriggersOf(trx, { projectIds: projects, ownerIds: users });
  await deletePipelineTriggersByIds(
    trx,
    triggers.map((t) => t.id),
  );
  for (const trigger of triggers)
    await audit({
      action: 'pipeline_trigger.deleted',
      entity: { type: 'Project', id: trigger.project_id },
      target: { type: 'Ci::Trigger', id: trigger.id },
      details: { owner_id: trigger.owner_id },
    });

  const runners = await listProjectRunners(trx, projects);
  await deleteRunnersByIds(
    trx,
    runners.map((r) => r.id),
  );
  for (const runner of runners)
    await audit({
      action: 'runner.deleted',
      entity: { type: 'ci_runner', id: runner.id },
      target: { type: 'project', id: runner.project_id },
    });

  for (const scope of await deleteProjectRegistrationTokens(trx, projects))
    await audit({
      action: 'runner_registration_token.revoked',
      entity: { type: 'ci_runner_registration_token', id: scope },
    });

  const jobs = await listRunningJobsOf(trx, { projectIds: projects, userIds: users });
  await cancelJobsDroppingTokens(
    trx,
    jobs.map((j) => j.id),
    at,
  );
  for (const job of jobs)
    await audit({
      action: 'ci_job_token.revoked',
      entity: { type: 'ci_job', id: job.id },
      target: { type: 'project', id: job.project_id },
      details: { job_status: 'canceled', user_id: job.user_id },
    });

  const grants = [
    ...(await listLiveOAuthGrantsOfUsers(trx, users)),
    ...(await listLiveWorkflowGrants(trx, { projectIds: projects, userIds: users })),
  ];
  for (const grant of grants) {
    if (!(await revokeOAuthGrant(trx, grant.id, at, reason))) continue;
    await audit({
      action: 'oauth_grant.revoked',
      entity: { type: 'User', id: grant.user_id },
      target: { type: 'OAuthGrant', id: grant.id },
      details: { grant_id: grant.id, application_id: grant.application_id, user_id: grant.user_id },
    });
  }
  for (const application of await listOAuthApplicationsOfOwners(trx, users))
    await audit({
      action: 'oauth_application.deleted',
      entity: { type: 'User', id: application.owner_id },
      target: { type: 'OAuthApplication', id: application.id, details: application.name },
    });

  const sessions = await countSessionsOfUsers(trx, users);
  for (const [userId, count] of sessions) {
    await deleteSessionsOfUser(trx, userId);
    await audit({
      action: 'session.revoked',
      entity: { type: 'user', id: userId },
      details: { sessions: count },
    });
  }

  // 3. The holders themselves, audited, then their rows.
  for (const user of await findUsersByIds(trx, users))
    await audit({
      action: 'user.deleted',
      entity: { type: 'user', id: user.id },
      target: { type: 'user', id: user.id, details: user.username },
      details: { bot_kind: user.bot_kind },
    });
  for (const id of projects) await audit({ action: 'project.deleted', entity: { type: 'project', id } });
  for (const group of await findNamespacesByIds(trx, groups))
    await audit({
      action: 'group.deleted',
      entity: { type: 'group', id: group.id },
      target: { type: 'group', id: group.id, details: group.full_path },
    });
  await deleteHolderRows(trx, {
    projectIds: projects,
    namespaceIds: [...groups, ...personalNamespaces],
    userIds: users,
  });

  return {
    projectIds: projects,
    groupIds: groups,
    userIds: users,
    accessTokenDigests: accessTokens.map((t) => t.digest),
    deployTokenIds: deployTokens.map((t) => t.id),
    jobIds: jobs.map((j) => j.id),
  };
}

/**
 * After the commit: purges this process's token caches (so a cached row cannot outlive the holder),
 * tells the other replicas to purge theirs (through Redis when configured; else their TTL bounds it)
 * and removes the deleted projects' repositories.
 */
export async function afterTeardown(deps: TeardownDeps, removed: TeardownResult): Promise<void> {
  for (const digest of removed.accessTokenDigests) deps.access.cache.forget(digest);
  for (const userId of removed.userIds) deps.access.cache.forgetOwner(userId);
  for (const id of removed.deployTokenIds) deps.deployTokenCache.forgetToken(id);
  forgetEndedJobs(deps.access.db, removed.jobIds);
  for (const userId of removed.userIds) forgetJobsOfUser(deps.access.db, userId);
  await publishEviction(deps.access.db, {
    accessTokenDigests: removed.accessTokenDigests,
    deployTokenIds: removed.deployTokenIds,
    jobIds: removed.jobIds,
    userIds: removed.userIds,
  });
  for (const projectId of removed.projectIds) await deps.repositories.remove(projectId);
}
