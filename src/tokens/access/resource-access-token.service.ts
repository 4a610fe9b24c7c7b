import type { Actor } from '../../audit/audit-log.ts';
import { badRequest, forbidden, notFound } from '../../errors/tessera-error.ts';
import { groupAccessFacts, projectAccessFacts } from '../../identity/access-facts.service.ts';
import { ACCESS_LEVELS, isMemberAccessLevel } from '../../identity/access-levels.ts';
import {
  canAdministerGroup,
  canGrantAccessLevel,
  canManageProject,
  canSee,
  type AccessFacts,
} from '../../identity/permissions.ts';
import { findAccessTokenById, type Page } from '../../store/access-tokens.repository.ts';
import type { AccessToken, Namespace, Project, User } from '../../store/schema.ts';
import type { AccessTokenDeps } from './access-token-deps.ts';
import { validateNewAccessToken, type NewAccessTokenRequest } from './access-token-input.ts';
import { createBotUser } from './bot-user.ts';
import {
  auditAccessToken,
  countIssued,
  issueAccessToken,
  type IssuedAccessToken,
} from './issue-access-token.ts';
import {
  listMatchingAccessTokens,
  type AccessTokenListing,
  type AccessTokenQuery,
} from './list-access-tokens.ts';
import { revokeAccessToken } from './revoke-access-token.ts';

/** The project or group a bot token belongs to. */
export type TokenResource = { kind: 'project'; project: Project } | { kind: 'group'; group: Namespace };

/** Default role of a bot token, as on the platform. */
const DEFAULT_ACCESS_LEVEL = ACCESS_LEVELS.maintainer;

const resourceId = (resource: TokenResource): number =>
  resource.kind === 'project' ? resource.project.id : resource.group.id;

/**
 * Who may manage the resource's tokens: a maintainer of the project, an owner of the group. A resource
 * the requester cannot see is a 404 (its existence is not revealed); visible but not theirs to manage
 * is a 403. Bots never manage tokens.
 */
export async function authorizeTokenManagement(
  deps: AccessTokenDeps,
  requester: User,
  resource: TokenResource,
): Promise<AccessFacts> {
  const facts =
    resource.kind === 'project'
      ? await projectAccessFacts(deps.db, requester, resource.project)
      : await groupAccessFacts(deps.db, requester, resource.group);
  if (!canSee(facts)) throw notFound(resource.kind === 'project' ? 'Project' : 'Group');
  const allowed = resource.kind === 'project' ? canManageProject(facts) : canAdministerGroup(facts);
  if (!allowed || requester.bot_kind !== null) throw forbidden();
  return facts;
}

/** Creates a bot user, its membership at `accessLevel` (default maintainer) and its token, in one transaction. */
export async function createResourceAccessToken(
  deps: AccessTokenDeps,
  actor: Actor,
  requester: User,
  resource: TokenResource,
  request: NewAccessTokenRequest & { accessLevel?: number },
): Promise<IssuedAccessToken> {
  const facts = await authorizeTokenManagement(deps, requester, resource);
  const accessLevel = request.accessLevel ?? DEFAULT_ACCESS_LEVEL;
  if (!Number.isInteger(accessLevel) || !isMemberAccessLevel(accessLevel)) {
    throw badRequest('access_level', 'does not have a valid value');
  }
  if (!canGrantAccessLevel(facts, accessLevel)) {
    throw badRequest(
      'access_level',
      "can't be greater than the access level of the user who creates the token",
    );
  }
  const valid = validateNewAccessToken(request, { kind: 'bot' }, deps.clock, deps.policy.maxLifetimeDays);
  const id = resourceId(resource);
  const issued = await deps.db.transaction().execute(async (trx) => {
    const bot = await createBotUser(
      trx,
      deps.clock,
      { kind: resource.kind, id },
      {
        name: valid.name,
        accessLevel,
        externalUrl: deps.policy.externalUrl,
      },
    );
    const created = await issueAccessToken(trx, deps, {
      kind: resource.kind,
      userId: bot.id,
      resourceId: id,
      ...valid,
      accessLevel,
      previousTokenId: null,
    });
    await auditAccessToken(trx, deps, actor, 'created', created.token, { bot_username: bot.username });
    return created;
  });
  countIssued(deps, issued.token);
  return issued;
}

/** The resource's tokens, filtered and paged. */
export async function listResourceAccessTokens(
  deps: AccessTokenDeps,
  requester: User,
  resource: TokenResource,
  query: AccessTokenQuery,
  page: Page,
): Promise<AccessTokenListing> {
  await authorizeTokenManagement(deps, requester, resource);
  return listMatchingAccessTokens(
    deps,
    query,
    { kind: resource.kind, resourceId: resourceId(resource) },
    page,
  );
}

/** One of the resource's tokens; a token of another resource is a 404 like a missing one. */
export async function findResourceAccessToken(
  deps: AccessTokenDeps,
  requester: User,
  resource: TokenResource,
  tokenId: number,
): Promise<AccessToken> {
  await authorizeTokenManagement(deps, requester, resource);
  const token = Number.isSafeInteger(tokenId) ? await findAccessTokenById(deps.db, tokenId) : undefined;
  if (!token || token.kind !== resource.kind || token.resource_id !== resourceId(resource)) {
    throw notFound('Token');
  }
  return token;
}

/** Revokes one of the resource's tokens; its bot is blocked and leaves the resource. */
export async function revokeResourceAccessToken(
  deps: AccessTokenDeps,
  actor: Actor,
  requester: User,
  resource: TokenResource,
  tokenId: number,
): Promise<void> {
  const token = await findResourceAccessToken(deps, requester, resource, tokenId);
  await revokeAccessToken(deps, actor, token);
}
