import { projectAccessFacts } from '../identity/access-facts.service.ts';
import { canReadRepository, canWriteRepository } from '../identity/permissions.ts';
import type { Principal } from '../identity/principal.ts';
import type { Executor } from '../store/database.ts';
import type { Project } from '../store/schema.ts';
import type { BasicIdentity } from '../tokens/basic-credentials.ts';
import { holdsGranularPermission } from '../tokens/access/granular-access.ts';
import { NO_ABILITY, type RegistryAbility } from './registry-claims.ts';
import { REGISTRY_ACTION_PERMISSIONS } from './registry-permissions.ts';

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
  const facts = await projectAccessFacts(db, principal.user, project);
  if (credential.granular) {
    // A fine-grained token: each action's catalogue permission on a boundary holding the project.
    const grants = credential.granular.scopes;
    const holds = (action: keyof typeof REGISTRY_ACTION_PERMISSIONS) =>
      holdsGranularPermission(db, principal.user, grants, REGISTRY_ACTION_PERMISSIONS[action], {
        kind: 'project',
        project,
      });
    const [pull, push, remove] = await Promise.all([holds('pull'), holds('push'), holds('delete')]);
    return {
      pull: pull && canReadRepository(facts),
      push: push && canWriteRepository(facts),
      delete: remove && canWriteRepository(facts),
    };
  }
  // A session or password is not scope-limited; every token is (a job token carries the registry scopes).
  const scopes = credential.scopes;
  const has = (wanted: readonly string[]) => scopes === null || wanted.some((s) => scopes.includes(s));
  const write =
    has(PUSH_SCOPES) && canWriteRepository(facts) && (credential.projectScope?.writable(project.id) ?? true);
  return { pull: has(PULL_SCOPES) && canReadRepository(facts), push: write, delete: write };
}

/** Whether the identity may list the registry's catalog (`registry:catalog:*`): administrators only. */
export async function mayListCatalog(db: Executor, identity: BasicIdentity | null): Promise<boolean> {
  if (identity?.type !== 'user') return false;
  const { user, credential } = identity.principal;
  if (credential.granular) {
    const held = await holdsGranularPermission(
      db,
      user,
      credential.granular.scopes,
      REGISTRY_ACTION_PERMISSIONS.catalog,
      { kind: 'none' },
    );
    return user.is_admin === 1 && held;
  }
  const scopes = credential.scopes;
  return user.is_admin === 1 && (scopes === null || ['api', 'read_api'].some((s) => scopes.includes(s)));
}
