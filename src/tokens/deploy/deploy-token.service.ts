import type { Actor } from '../../audit/audit-log.ts';
import { forbidden, notFound } from '../../errors/tessera-error.ts';
import { groupAccessFacts, projectAccessFacts } from '../../identity/access-facts.service.ts';
import { ACCESS_LEVELS } from '../../identity/access-levels.ts';
import { canSee, effectiveAccessLevel } from '../../identity/permissions.ts';
import {
  countDeployTokens,
  findDeployTokenById,
  listDeployTokens,
  revokeDeployToken as revokeDeployTokenRow,
  deleteDeployToken as deleteDeployTokenRow,
  type DeployTokenFilter,
  type DeployTokenOwner,
} from '../../store/deploy-tokens.repository.ts';
import { inTransaction } from '../../store/in-transaction.ts';
import type { DeployToken, Namespace, Project, User } from '../../store/schema.ts';
import { isoNow } from '../../util/clock.ts';
import { publishEviction } from '../cache-evictions.ts';
import type { DeployTokenDeps } from './deploy-token-deps.ts';
import { validateNewDeployToken, type NewDeployTokenRequest } from './deploy-token-input.ts';
import {
  auditDeployToken,
  countIssuedDeployToken,
  issueDeployToken,
  type IssuedDeployToken,
} from './issue-deploy-token.ts';

/** The project or group whose deploy tokens a request is about. */
export type DeployTokenResource = { kind: 'project'; project: Project } | { kind: 'group'; group: Namespace };

export const ownerOf = (resource: DeployTokenResource): DeployTokenOwner =>
  resource.kind === 'project'
    ? { kind: 'project', id: resource.project.id }
    : { kind: 'group', id: resource.group.id };

/**
 * Who may see and change a resource's deploy tokens: a project's maintainers; a group's maintainers
 * see them and its owners change them. Hidden resources are a 404, visible but not theirs a 403. Bots
 * never manage deploy tokens: a short-lived bot token must not mint a permanent credential.
 */
export async function authorizeDeployTokens(
  deps: DeployTokenDeps,
  requester: User,
  resource: DeployTokenResource,
  intent: 'read' | 'write',
): Promise<void> {
  const facts =
    resource.kind === 'project'
      ? await projectAccessFacts(deps.db, requester, resource.project)
      : await groupAccessFacts(deps.db, requester, resource.group);
  if (!canSee(facts)) throw notFound(resource.kind === 'project' ? 'Project' : 'Group');
  const needed =
    resource.kind === 'group' && intent === 'write' ? ACCESS_LEVELS.owner : ACCESS_LEVELS.maintainer;
  if (effectiveAccessLevel(facts) < needed || requester.bot_kind !== null) throw forbidden();
}

/** Creates a deploy token; its secret is in the result and nowhere else. */
export async function createDeployToken(
  deps: DeployTokenDeps,
  actor: Actor,
  requester: User,
  resource: DeployTokenResource,
  request: NewDeployTokenRequest,
): Promise<IssuedDeployToken> {
  await authorizeDeployTokens(deps, requester, resource, 'write');
  const valid = validateNewDeployToken(request, deps.clock);
  const issued = await inTransaction(deps.db, async (trx) => {
    const created = await issueDeployToken(trx, deps, {
      owner: ownerOf(resource),
      ...valid,
      autoCreated: false,
      creatorId: requester.id,
    });
    await auditDeployToken(trx, deps, actor, 'created', created.token);
    return created;
  });
  countIssuedDeployToken(deps);
  return issued;
}

/** One page of a resource's tokens (`active` narrows to usable ones), with the total. */
export async function listResourceDeployTokens(
  deps: DeployTokenDeps,
  requester: User,
  resource: DeployTokenResource,
  query: { active?: boolean },
  page: { limit: number; offset: number },
): Promise<{ tokens: DeployToken[]; total: number }> {
  await authorizeDeployTokens(deps, requester, resource, 'read');
  return listing(deps, { owner: ownerOf(resource), ...activeFilter(deps, query.active) }, page);
}

/** Every deploy token of the instance: administrators only. */
export async function listAllDeployTokens(
  deps: DeployTokenDeps,
  requester: User,
  query: { active?: boolean },
  page: { limit: number; offset: number },
): Promise<{ tokens: DeployToken[]; total: number }> {
  if (!requester.is_admin) throw forbidden();
  return listing(deps, activeFilter(deps, query.active), page);
}

/** One of the resource's tokens; a token of another resource is a 404 like a missing one. */
export async function findResourceDeployToken(
  deps: DeployTokenDeps,
  requester: User,
  resource: DeployTokenResource,
  tokenId: number,
  intent: 'read' | 'write' = 'read',
): Promise<DeployToken> {
  await authorizeDeployTokens(deps, requester, resource, intent);
  const token = Number.isSafeInteger(tokenId) ? await findDeployTokenById(deps.db, tokenId) : undefined;
  const owner = ownerOf(resource);
  const ownerId = owner.kind === 'project' ? token?.project_id : token?.group_id;
  if (!token || ownerId !== owner.id) throw notFound('Token');
  return token;
}

/** Revokes one of the resource's tokens (again: a no-op). */
export async function revokeResourceDeployToken(
  deps: DeployTokenDeps,
  actor: Actor,
  requester: User,
  resource: DeployTokenResource,
  tokenId: number,
): Promise<void> {
  const token = await findResourceDeployToken(deps, requester, resource, tokenId, 'write');
  await revokeDeployTokenAudited(deps, actor, token);
}

/**
 * Deletes one of the resource's tokens, as the platform's API `DELETE` does: it stops working at once
 * and no list or GET shows it again; the audit log keeps what it was.
 */
export async function deleteResourceDeployToken(
  deps: DeployTokenDeps,
  actor: Actor,
  requester: User,
  resource: DeployTokenResource,
  tokenId: number,
): Promise<void> {
  const token = await findResourceDeployToken(deps, requester, resource, tokenId, 'write');
  await inTransaction(deps.db, async (trx) => {
    if (await deleteDeployTokenRow(trx, token.id)) await auditDeployToken(trx, deps, actor, 'deleted', token);
  });
  deps.cache.forgetToken(token.id);
  await publishEviction(deps.db, { deployTokenIds: [token.id] });
}

/** Revokes a token and audits it in one transaction; true when it was active before. */
export async function revokeDeployTokenAudited(
  deps: DeployTokenDeps,
  actor: Actor,
  token: DeployToken,
  details: Record<string, unknown> = {},
): Promise<boolean> {
  const changed = await inTransaction(deps.db, async (trx) => {
    const revoked = await revokeDeployTokenRow(trx, token.id, isoNow(deps.clock));
    if (revoked) await auditDeployToken(trx, deps, actor, 'revoked', token, details);
    return revoked;
  });
  deps.cache.forgetToken(token.id);
  await publishEviction(deps.db, { deployTokenIds: [token.id] });
  return changed;
}

function activeFilter(deps: DeployTokenDeps, active: boolean | undefined): Pick<DeployTokenFilter, 'active'> {
  return active === undefined ? {} : { active: { value: active, now: isoNow(deps.clock) } };
}

async function listing(
  deps: DeployTokenDeps,
  filter: DeployTokenFilter,
  page: { limit: number; offset: number },
): Promise<{ tokens: DeployToken[]; total: number }> {
  const [tokens, total] = await Promise.all([
    listDeployTokens(deps.db, filter, page),
    countDeployTokens(deps.db, filter),
  ]);
  return { tokens, total };
}
