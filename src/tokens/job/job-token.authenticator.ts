import { constantTimeEqual } from '../../crypto/secrets.ts';
import type { Principal } from '../../identity/principal.ts';
import type { JobSummary } from '../../store/ci-schema.ts';
import { findJobAndUserByTokenDigest } from '../../store/ci-jobs.repository.ts';
import type { TokenAuthenticator } from '../token-authenticator.ts';
import type { VerifiedJob } from './job-token-cache.ts';
import type { JobTokenDeps } from './job-token-deps.ts';
import { JobTokenProjectScope } from './job-token-project-scope.ts';
import { JOB_TOKEN_PREFIX, looksLikeJobToken } from './job-token-secret.ts';
import { isJobTokenLive } from './job-token-state.ts';

/**
 * What a job token may do beyond reading its projects through the job-token endpoint set: clone,
 * pull and push its registry, packages. Which routes accept it at all is decided by the HTTP layer.
 */
export const JOB_TOKEN_SCOPES = [
  'read_api',
  'read_repository',
  'read_registry',
  'write_registry',
  'read_package_registry',
  'write_package_registry',
] as const;

const jobsOfPrincipals = new WeakMap<Principal, JobSummary>();

/** The job a job-token principal was authenticated from (as read then), so a route need not read it again. */
export function authenticatedJob(principal: Principal | null): JobSummary | undefined {
  return principal ? jobsOfPrincipals.get(principal) : undefined;
}

/**
 * Authenticates CI job tokens (`glcbt-`): valid exactly while the job runs, acting as the user who
 * triggered the pipeline, limited to the job's project and the projects whose allowlist admits it.
 * Running jobs are remembered briefly ({@link JobTokenCache}); a job that finishes, is canceled or
 * loses its token here is evicted before that is acknowledged, so its token is refused on the very
 * next request, and on another replica within the cache's TTL. A timeout needs no eviction: the
 * deadline is checked on every request.
 */
export class JobTokenAuthenticator implements TokenAuthenticator {
  readonly prefix = JOB_TOKEN_PREFIX;

  constructor(private readonly deps: JobTokenDeps) {}

  async authenticate(plaintext: string): Promise<Principal | null> {
    if (!looksLikeJobToken(plaintext, this.deps.tokenPrefix)) return null;
    const digest = this.deps.digester.digest(plaintext);
    const found = await this.#lookup(digest);
    if (!found?.job.token_digest || !constantTimeEqual(found.job.token_digest, digest)) return null;
    const { job, user } = found;
    if (!isJobTokenLive(job, this.deps.clock.now()) || user.state !== 'active') return null;
    const principal: Principal = {
      user,
      credential: {
        kind: 'ci_job_token',
        id: job.id,
        scopes: JOB_TOKEN_SCOPES,
        projectScope: new JobTokenProjectScope(this.deps.db, this.deps.clock, job),
      },
    };
    jobsOfPrincipals.set(principal, job);
    return principal;
  }

  async #lookup(digest: string): Promise<VerifiedJob | undefined> {
    const cached = this.deps.cache.get(digest);
    if (cached) return cached;
    const generation = this.deps.cache.generation;
    const found = await findJobAndUserByTokenDigest(this.deps.db, digest);
    // Only jobs whose token is live now are worth keeping; an ended one must not linger as a hit.
    if (found && isJobTokenLive(found.job, this.deps.clock.now()) && found.user.state === 'active') {
      this.deps.cache.set(digest, found, generation);
    }
    return found;
  }

  async wasIssued(plaintext: string): Promise<boolean> {
    if (!looksLikeJobToken(plaintext, this.deps.tokenPrefix)) return false;
    const digest = this.deps.digester.digest(plaintext);
    const found = await findJobAndUserByTokenDigest(this.deps.db, digest);
    return found?.job.token_digest != null && constantTimeEqual(found.job.token_digest, digest);
  }
}
