import type { RegistrySettings } from '../config/settings.ts';
import { TesseraError, badRequest, unauthorized } from '../errors/tessera-error.ts';
import type { KeyManager } from '../keys/key-manager.ts';
import type { Executor } from '../store/database.ts';
import type { Clock } from '../util/clock.ts';
import {
  resolveBasicCredentials,
  type BasicCredentialResolver,
  type BasicIdentity,
} from '../tokens/basic-credentials.ts';
import { mayListCatalog, registryAbility } from './registry-ability.ts';
import {
  grantedActions,
  registryAccessClaim,
  registryTokenResponse,
  type RegistryAccess,
  type RegistryTokenResponse,
} from './registry-claims.ts';
import { REGISTRY_KEY_ROLE, type RegistryKeys } from './registry-keys.ts';
import { projectOfRepository } from './registry-project.ts';
import {
  TooManyScopesError,
  isRepositoryName,
  parseRegistryScopes,
  type RegistryScope,
} from './registry-scope.ts';

export interface RegistryTokenDeps {
  db: Executor;
  clock: Clock;
  keys: KeyManager;
  registryKeys: RegistryKeys;
  settings: RegistrySettings;
  /** The basic-credential resolvers to try, in order. */
  resolvers: readonly BasicCredentialResolver[];
}

/** One `GET /jwt/auth`, as plain data. */
export interface RegistryTokenRequest {
  service: unknown;
  scope: unknown;
  /** The request's HTTP basic credentials; null when it sent none, 'malformed' when unreadable. */
  credentials: { username: string; password: string } | null | 'malformed';
  ip: string | null;
}

/** The outcome, for logs and metrics: who asked (never a secret) and what was granted. */
export interface IssuedRegistryToken {
  response: RegistryTokenResponse;
  identity: BasicIdentity | null;
  access: RegistryAccess[];
}

/**
 * The Docker token service: checks the `service`, authenticates the basic credentials (or none:
 * anonymous), grants per scope the intersection of what was asked, what the credential's scopes allow
 * and what the identity may do on the project, and signs a registry JWT with the registry key.
 * Scopes that cannot be granted are left out of `access`; only bad credentials are an error (401).
 *
 * @example
 * const { response } = await issueRegistryToken(deps, { service: 'container_registry', scope: 'repository:g/app:pull', credentials: null, ip });
 */
export async function issueRegistryToken(
  deps: RegistryTokenDeps,
  request: RegistryTokenRequest,
): Promise<IssuedRegistryToken> {
  if (request.service !== deps.settings.service) {
    throw new TesseraError('not_found', 'unknown service');
  }
  let scopes: RegistryScope[];
  try {
    scopes = parseRegistryScopes(request.scope);
  } catch (error) {
    if (error instanceof TooManyScopesError) throw badRequest('scope', error.message);
    throw error;
  }
  const identity = await authenticate(deps, request);
  const access = registryAccessClaim(await Promise.all(scopes.map((scope) => grant(deps, identity, scope))));
  const now = deps.clock.now();
  const lifetime = deps.settings.tokenLifetimeSeconds;
  const subject = identity === null ? undefined : subjectOf(identity);
  const token = await deps.keys.signJwt(
    REGISTRY_KEY_ROLE,
    { access },
    {
      expiresInSeconds: lifetime,
      // A plain string: distribution rejects an array `aud`.
      audience: deps.settings.service,
      issuer: deps.settings.issuer,
      ...(subject === undefined ? {} : { subject }),
      keyHeader: (thumbprint) => deps.registryKeys.header(thumbprint),
    },
  );
  const issuedAt = new Date(Math.floor(now.getTime() / 1000) * 1000);
  return { response: registryTokenResponse(token, lifetime, issuedAt), identity, access };
}

async function authenticate(
  deps: RegistryTokenDeps,
  request: RegistryTokenRequest,
): Promise<BasicIdentity | null> {
  if (request.credentials === null) return null;
  if (request.credentials === 'malformed') throw unauthorized();
  const { username, password } = request.credentials;
  const identity = await resolveBasicCredentials(deps.resolvers, username, password, { ip: request.ip });
  if (!identity) throw unauthorized();
  return identity;
}

async function grant(
  deps: RegistryTokenDeps,
  identity: BasicIdentity | null,
  scope: RegistryScope,
): Promise<RegistryAccess> {
  const none = { type: scope.type, name: scope.name, actions: [] };
  if (scope.type === 'registry') {
    const allowed =
      scope.name === 'catalog' && scope.actions.includes('*') && (await mayListCatalog(deps.db, identity));
    return allowed ? { ...none, actions: ['*'] } : none;
  }
  if (scope.type !== 'repository' || !isRepositoryName(scope.name) || scope.actions.length === 0) return none;
  const project = await projectOfRepository(deps.db, scope.name);
  if (!project) return none;
  const ability = await registryAbility(deps.db, identity, project);
  return { ...none, actions: grantedActions(scope.actions, ability) };
}

function subjectOf(identity: BasicIdentity): string {
  return identity.type === 'deploy_token' ? identity.username : identity.principal.user.username;
}
