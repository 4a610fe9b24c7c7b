import { projectAccessFacts } from '../identity/access-facts.service.ts';
import { canReadRepository, canWriteRepository } from '../identity/permissions.ts';
import type { Principal } from '../identity/principal.ts';
import type { Executor } from '../store/database.ts';
import type { Project } from '../store/schema.ts';
import type { BasicIdentity } from '../tokens/basic-credentials.ts';
import { NO_ABILITY, type RegistryAbility } from './registry-claims.ts';

/** Access token scopes that let a credential pull images, and push (or delete) them. */
const PULL_SCOPES = ['api', 'read_api', 'read_registry'];
const PUSH_SCOPES = ['api', 'write_registry'];

/**
 * What an identity may do on a project's registry: the intersection of what its credential's scopes
 * allow and what the identity may do on the project (reporter pulls, developer pushes and deletes;
 * anyone pulls from a public project, any signed-in person from an internal one). A credential limited
 * to some projects (a CI job token) reaches no other, whatever its user may do there — except that a
 * public project's images are anyone's to pull.
 */
export async function registryAbility(
  db: Executor,
  identity: BasicIdentity | null,
  project: Project,
): Promise<RegistryAbility> {
  const anonymous = { ...NO_ABILITY, pull: canReadRepository(await projectAccessFacts(db, null, project)) };
  if (identity === null) return anonymous;
  const own =
    identity.type === 'deploy_token'
      ? await deployTokenAbility(identity, project)
      : await userAbility(db, identity.principal, project);
  // A credential never gets less than no credential: a public project's images are anyone's to pull.
  return { ...own, pull: own.pull || anonymous.pull };
}

async function deployTokenAbility(
  identity: Extract<BasicIdentity, { type: 'deploy_token' }>,
  project: Project,
): Promise<RegistryAbility> {
  if (!(await identity.reaches(project.id))) return NO_ABILITY;
  // A deploy token stands for no user: its scopes are all it has. It never deletes.
  return {
    pull: identity.scopes.includes('read_registry'),
    push: identity.scopes.includes('write_registry'),
    delete: false,
  };
}

async function userAbility(db: Executor, principal: Principal, project: Project): Promise<RegistryAbility> {
  const { credential } = principal;
  if (credential.projectScope && !(await credential.projectScope.allows(project.id))) return NO_ABILITY;
  // A session or password is not scope-limited; every token is (a job token carries the registry scopes).
  const scopes = credential.scopes;
  const has = (wanted: readonly string[]) => scopes === null || wanted.some((s) => scopes.includes(s));
  const facts = await projectAccessFacts(db, principal.user, project);
  const write =
    has(PUSH_SCOPES) && canWriteRepository(facts) && (credential.projectScope?.writable(project.id) ?? true);
  return { pull: has(PULL_SCOPES) && canReadRepository(facts), push: write, delete: write };
}

/** Whether the identity may list the registry's catalog (`registry:catalog:*`): administrators only. */
export function mayListCatalog(identity: BasicIdentity | null): boolean {
  if (identity?.type !== 'user') return false;
  const { user, credential } = identity.principal;
  const scopes = credential.scopes;
  return user.is_admin === 1 && (scopes === null || ['api', 'read_api'].some((s) => scopes.includes(s)));
}
