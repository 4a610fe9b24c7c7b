import { projectAccessFacts } from '../identity/access-facts.service.ts';
import { effectiveAccessLevel } from '../identity/permissions.ts';
import type { Job, Pipeline, Runner } from '../store/ci-schema.ts';
import { ciSettingsOf } from '../store/ci-settings.repository.ts';
import { listMembershipsOfUser } from '../store/members.repository.ts';
import { findNamespaceById, findNamespacesByIds } from '../store/namespaces.repository.ts';
import type { Project, User } from '../store/schema.ts';
import { guessDeploymentTier, idTokenClaims, type IdTokenFacts } from '../tokens/id-token/id-token-claims.ts';
import { mintIdTokens, mintLegacyJobJwts } from '../tokens/id-token/mint-id-tokens.ts';
import { subjectFor, validateSubClaimComponents } from '../tokens/id-token/sub-claim.ts';
import type { CiDeps } from './ci-deps.ts';
import { CI_CONFIG_PATH } from './create-pipeline.ts';
import { definitionOf } from './job-definition.ts';
import { maskedVariable, providedVariables, publicVariable, type Variable } from './job-variables.ts';
import { predefinedVariables } from './predefined-variables.ts';
import { userVariablesForJob } from './variables/job-user-variables.ts';
import { branchProtectionOf, isProtectedBranch } from './protected-refs.ts';

/** The job that just started, with everything around it. */
export interface StartedJob {
  job: Job;
  pipeline: Pipeline;
  project: Project;
  user: User;
  runner: Runner;
  /** The job token, in plaintext: this is the one moment it exists outside the runner. */
  token: string;
}

/**
 * Every variable a starting job receives, in the order the runner exports them (later wins):
 * predefined variables, the `.gitlab-ci.yml` variables, the CI/CD variables of the instance, groups
 * and project and the pipeline's trigger variables (GitLab's precedence, see `userVariablesForJob`),
 * those of registered providers (deploy tokens, workflow tokens: a user variable of the same name is
 * dropped),
 * then one ID token per `id_tokens:` entry — or, when the project turned on compatibility and the job
 * declares none, the legacy `CI_JOB_JWT`, `_V1` and `_V2`. Every token is masked.
 */
export async function jobVariables(deps: CiDeps, started: StartedJob): Promise<Variable[]> {
  const { job, pipeline, project, user, runner, token } = started;
  const definition = definitionOf(job);
  const [namespace, settings, protection, facts, groupsDirect] = await Promise.all([
    findNamespaceById(deps.db, project.namespace_id),
    ciSettingsOf(deps.db, project.id),
    branchProtectionOf(deps.db, project),
    projectAccessFacts(deps.db, user, project),
    directGroupPaths(deps, user.id),
  ]);
  const refProtected = pipeline.tag === 0 && isProtectedBranch(protection, pipeline.ref);
  const environment = definition.environment && {
    name: definition.environment.name,
    tier: definition.environment.deployment_tier ?? guessDeploymentTier(definition.environment.name),
    action: definition.environment.action ?? 'start',
  };
  const url = new URL(deps.settings.externalUrl);
  const provided = await providedVariables({
    db: deps.db,
    project,
    pipeline,
    job,
    user,
    environment: definition.environment,
  });

  const variables: Variable[] = [
    ...predefinedVariables({
      externalUrl: deps.settings.externalUrl,
      registryHost: deps.settings.registryHost ?? url.host,
      jobToken: token,
      project,
      pipeline: { ...pipeline, tag: pipeline.tag === 1, refProtected },
      job,
      runner,
      user,
      ...(environment ? { environment } : {}),
    }),
    ...Object.entries(definition.variables).map(([key, value]) => publicVariable(key, value)),
    // Credentials come after these, so none can be replaced by a user variable; a user variable
    // named like a provider's (deploy, workflow tokens) is left out altogether.
    ...(await userVariablesForJob(deps, {
      project,
      pipeline,
      refProtected,
      environment: definition.environment?.name,
      credentialNames: [...Object.keys(definition.id_tokens), ...provided.map((v) => v.key)],
    })),
    ...provided,
  ];

  const claimFacts: IdTokenFacts = {
    namespace: { id: project.namespace_id, full_path: namespace?.full_path ?? '' },
    project,
    user,
    userAccessLevel: effectiveAccessLevel(facts),
    pipeline: {
      id: pipeline.id,
      source: pipeline.source,
      ref: pipeline.ref,
      refType: pipeline.tag ? 'tag' : 'branch',
      sha: pipeline.sha,
      refProtected,
    },
    job,
    runner,
    ...(environment ? { environment: { ...environment, protected: false } } : {}),
    groupsDirect,
    serverHost: url.host,
    ciConfigPath: CI_CONFIG_PATH,
  };
  const claims = idTokenClaims(claimFacts);
  const lifetime = Math.min(job.timeout_seconds, deps.settings.maxJwtLifetimeSeconds);
  const declared = Object.keys(definition.id_tokens).length > 0;
  if (declared) {
    const components = storedComponents(settings.id_token_sub_claim_components);
    const minted = await mintIdTokens(
      deps.keys,
      claims,
      subjectFor(claims, components),
      definition.id_tokens,
      lifetime,
    );
    variables.push(...minted.map((m) => maskedVariable(m.variable, m.token)));
  } else if (settings.legacy_job_jwt_enabled === 1) {
    const minted = await mintLegacyJobJwts(deps.keys, claims, {
      jobId: job.id,
      externalUrl: deps.settings.externalUrl,
      lifetimeSeconds: lifetime,
    });
    variables.push(...minted.map((m) => maskedVariable(m.variable, m.token)));
  }
  if (declared || settings.legacy_job_jwt_enabled === 1)
    deps.metrics.tokensIssued.inc({ type: 'ci_id_token' });
  return variables;
}

function storedComponents(stored: string | null) {
  if (stored === null) return undefined;
  const valid = validateSubClaimComponents(JSON.parse(stored));
  return typeof valid === 'string' ? undefined : valid;
}

async function directGroupPaths(deps: CiDeps, userId: number): Promise<string[]> {
  const memberships = (await listMembershipsOfUser(deps.db, userId)).filter(
    (m) => m.source_type === 'namespace',
  );
  const groups = await findNamespacesByIds(
    deps.db,
    memberships.map((m) => m.source_id),
  );
  return groups
    .filter((g) => g.kind === 'group')
    .map((g) => g.full_path)
    .sort();
}
