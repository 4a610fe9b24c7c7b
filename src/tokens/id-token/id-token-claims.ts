import { accessLevelName } from '../../identity/access-levels.ts';

/** Everything an ID token says about a job, as plain data (no store, no clock). */
export interface IdTokenFacts {
  namespace: { id: number; full_path: string };
  project: { id: number; full_path: string; visibility: string };
  user: { id: number; username: string; email: string };
  /** The triggering user's access level in the project (30 → `"developer"`). */
  userAccessLevel: number;
  pipeline: {
    id: number;
    source: string;
    ref: string;
    refType: 'branch' | 'tag';
    sha: string;
    refProtected: boolean;
  };
  job: { id: number };
  runner: { id: number; environment: 'gitlab-hosted' | 'self-hosted' };
  environment?: { name: string; protected: boolean; tier: string; action: string };
  /** Full paths of the groups the user is a direct member of. */
  groupsDirect: readonly string[];
  /** Host (and port) of the instance, for `ci_config_ref_uri`. */
  serverHost: string;
  ciConfigPath: string;
}

/** The ID-token claims other than the registered ones (`iss`, `sub`, `aud`, `iat`, `nbf`, `exp`, `jti`). */
export type IdTokenClaims = Record<string, string | number | string[]>;

/** Past this many groups the platform leaves `groups_direct` out, to keep the token small. */
export const GROUPS_DIRECT_LIMIT = 200;

/**
 * The claim set of a CI ID token, with values spelled as the platform spells them: ids as strings,
 * booleans as `"true"`/`"false"`, `runner_id` as a number, the environment claims only for a job
 * that has an environment.
 *
 * @example
 * const claims = idTokenClaims(facts);
 * claims.ref_path; // 'refs/heads/main'
 */
export function idTokenClaims(facts: IdTokenFacts): IdTokenClaims {
  const { pipeline } = facts;
  const refPath = `refs/${pipeline.refType === 'tag' ? 'tags' : 'heads'}/${pipeline.ref}`;
  const claims: IdTokenClaims = {
    namespace_id: String(facts.namespace.id),
    namespace_path: facts.namespace.full_path,
    project_id: String(facts.project.id),
    project_path: facts.project.full_path,
    user_id: String(facts.user.id),
    user_login: facts.user.username,
    user_email: facts.user.email,
    user_access_level: accessLevelName(facts.userAccessLevel),
    pipeline_id: String(pipeline.id),
    pipeline_source: pipeline.source,
    job_id: String(facts.job.id),
    ref: pipeline.ref,
    ref_type: pipeline.refType,
    ref_path: refPath,
    ref_protected: String(pipeline.refProtected),
  };
  if (facts.groupsDirect.length <= GROUPS_DIRECT_LIMIT) claims.groups_direct = [...facts.groupsDirect];
  if (facts.environment) {
    claims.environment = facts.environment.name;
    claims.environment_protected = String(facts.environment.protected);
    claims.deployment_tier = facts.environment.tier;
    claims.environment_action = facts.environment.action;
  }
  claims.runner_id = facts.runner.id;
  claims.runner_environment = facts.runner.environment;
  claims.sha = pipeline.sha;
  claims.project_visibility = facts.project.visibility;
  claims.ci_config_ref_uri = `${facts.serverHost}/${facts.project.full_path}//${facts.ciConfigPath}@${refPath}`;
  claims.ci_config_sha = pipeline.sha;
  return claims;
}

/** The tier the platform guesses from an environment's name when the job names none. */
export function guessDeploymentTier(environment: string): string {
  const name = environment.toLowerCase();
  if (/(^|\W)(prod|production|live)(\W|$)/.test(name)) return 'production';
  if (/(^|\W)(stag|staging|model|demo|pre)/.test(name)) return 'staging';
  if (/(^|\W)(test|testing|qc|qa)/.test(name)) return 'testing';
  if (/(^|\W)(dev|development|review|trunk)/.test(name)) return 'development';
  return 'other';
}
