import { CI_CONFIG_PATH } from '../../ci/create-pipeline.ts';
import { branchProtectionOf, isProtectedBranch } from '../../ci/protected-refs.ts';
import { projectAccessFacts } from '../../identity/access-facts.service.ts';
import { effectiveAccessLevel } from '../../identity/permissions.ts';
import { listPipelineJobs } from '../../store/ci-jobs.repository.ts';
import { listPipelines } from '../../store/ci-pipelines.repository.ts';
import { findRunnerById } from '../../store/ci-runners.repository.ts';
import type { Executor } from '../../store/database.ts';
import { listMembershipsOfUser } from '../../store/members.repository.ts';
import { findNamespaceById, findNamespacesByIds } from '../../store/namespaces.repository.ts';
import type { Project, User } from '../../store/schema.ts';
import {
  guessDeploymentTier,
  idTokenClaims,
  type IdTokenClaims,
  type IdTokenFacts,
} from '../../tokens/id-token/id-token-claims.ts';
import { subjectFor, validateSubClaimComponents } from '../../tokens/id-token/sub-claim.ts';

/** The job a preview imagines: which ref, how the pipeline starts, where it deploys. */
export interface SampleJob {
  ref: string;
  refType: 'branch' | 'tag';
  source: string;
  /** Empty: a job without an environment. */
  environment: string;
}

/** What the preview shows: the `sub`, and every claim of the token with it. */
export type SubPreview =
  | { ok: true; sub: string; claims: Record<string, unknown>; components: readonly string[] }
  | { ok: false; problem: string };

/** The `aud` a sample token shows; a job's own `id_tokens:` entry names the real one. */
export const SAMPLE_AUDIENCE = 'https://cloud.example';

/**
 * The `sub` and claims the next job on `sample.ref` would carry if the viewer started it, built by the
 * very functions CI jobs use ({@link idTokenClaims}, {@link subjectFor}), from the same facts: the
 * project and namespace, the viewer's access level and direct groups, the ref's protection, and the
 * newest pipeline on that ref for its commit and runner. Only the ids of the job-to-be are guesses.
 *
 * @example
 * const preview = await previewSubClaim(db, { project, user, externalUrl, now, components: ['project_path', 'ref'], sample });
 * if (preview.ok) preview.sub; // 'project_path:acme/app:ref:main'
 */
export async function previewSubClaim(
  db: Executor,
  input: {
    project: Project;
    user: User;
    externalUrl: string;
    now: Date;
    components: unknown;
    sample: SampleJob;
  },
): Promise<SubPreview> {
  const components = validateSubClaimComponents(input.components);
  if (typeof components === 'string') return { ok: false, problem: `The components ${components}.` };
  const claims = await sampleClaims(db, input);
  const now = Math.floor(input.now.getTime() / 1000);
  const sub = subjectFor(claims, components);
  return {
    ok: true,
    sub,
    components,
    claims: {
      iss: input.externalUrl,
      sub,
      aud: SAMPLE_AUDIENCE,
      iat: now,
      nbf: now,
      exp: now + 3600,
      jti: '(unique per token)',
      ...claims,
    },
  };
}

async function sampleClaims(
  db: Executor,
  input: { project: Project; user: User; externalUrl: string; sample: SampleJob },
): Promise<IdTokenClaims> {
  const { project, user, sample } = input;
  const [namespace, protection, facts, groupsDirect, [latest]] = await Promise.all([
    findNamespaceById(db, project.namespace_id),
    branchProtectionOf(db, project),
    projectAccessFacts(db, user, project),
    directGroupPaths(db, user.id),
    listPipelines(db, { projectId: project.id, ref: sample.ref }, { limit: 1, offset: 0 }),
  ]);
  const lastJob = latest ? (await listPipelineJobs(db, latest.id)).at(-1) : undefined;
  const runner = lastJob?.runner_id ? await findRunnerById(db, lastJob.runner_id) : undefined;
  const environment = sample.environment
    ? {
        name: sample.environment,
        tier: guessDeploymentTier(sample.environment),
        action: 'start',
        protected: false,
      }
    : undefined;
  const claimFacts: IdTokenFacts = {
    namespace: { id: project.namespace_id, full_path: namespace?.full_path ?? '' },
    project,
    user,
    userAccessLevel: effectiveAccessLevel(facts),
    pipeline: {
      id: (latest?.id ?? 0) + 1,
      source: sample.source,
      ref: sample.ref,
      refType: sample.refType,
      sha: latest?.sha ?? '0'.repeat(40),
      refProtected: sample.refType === 'branch' && isProtectedBranch(protection, sample.ref),
    },
    job: { id: (lastJob?.id ?? 0) + 1 },
    runner: { id: runner?.id ?? 0, environment: runner?.environment ?? 'self-hosted' },
    ...(environment ? { environment } : {}),
    groupsDirect,
    serverHost: new URL(input.externalUrl).host,
    ciConfigPath: CI_CONFIG_PATH,
  };
  return idTokenClaims(claimFacts);
}

/** Full paths of the groups the user is a direct member of, sorted: the `groups_direct` claim. */
async function directGroupPaths(db: Executor, userId: number): Promise<string[]> {
  const memberships = (await listMembershipsOfUser(db, userId)).filter((m) => m.source_type === 'namespace');
  const groups = await findNamespacesByIds(
    db,
    memberships.map((m) => m.source_id),
  );
  return groups
    .filter((g) => g.kind === 'group')
    .map((g) => g.full_path)
    .sort();
}
