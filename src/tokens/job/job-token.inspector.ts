import type { Actor } from '../../audit/audit-log.ts';
import type { CiDeps } from '../../ci/ci-deps.ts';
import { cancelJob } from '../../ci/finish-job.ts';
import type { Job } from '../../store/ci-schema.ts';
import { findJobByTokenDigest } from '../../store/ci-jobs.repository.ts';
import { findUserById } from '../../store/users.repository.ts';
import type { TokenInspection, TokenInspector } from '../access/token-inspector.ts';
import { JOB_TOKEN_SCOPES } from './job-token.authenticator.ts';
import { JOB_TOKEN_PREFIX, looksLikeJobToken } from './job-token-secret.ts';
import { isJobTokenLive, jobDeadline } from './job-token-state.ts';

/**
 * CI job tokens for the admin token API and `tessera tokens inspect`. Revoking one cancels its job:
 * a job token lives exactly as long as its job runs, so ending the job is how the token ends.
 */
export class JobTokenInspector implements TokenInspector {
  readonly prefix = JOB_TOKEN_PREFIX;

  constructor(private readonly deps: CiDeps) {}

  async inspect(plaintext: string): Promise<TokenInspection | null> {
    const job = await this.#find(plaintext);
    return job ? this.#describe(job) : null;
  }

  async revoke(plaintext: string, actor: Actor): Promise<TokenInspection | null> {
    const job = await this.#find(plaintext);
    if (!job) return null;
    await cancelJob(this.deps, job, actor);
    return this.inspect(plaintext);
  }

  async #find(plaintext: string): Promise<Job | undefined> {
    if (!looksLikeJobToken(plaintext, this.deps.settings.tokenPrefix)) return undefined;
    return findJobByTokenDigest(this.deps.db, this.deps.digester.digest(plaintext));
  }

  async #describe(job: Job): Promise<TokenInspection> {
    const live = isJobTokenLive(job, this.deps.clock.now());
    const user = job.user_id === null ? undefined : await findUserById(this.deps.db, job.user_id);
    return {
      token_type: 'ci_job_token',
      id: job.id,
      name: job.name,
      state: live ? 'active' : jobTokenDeathOf(job),
      active: live,
      revoked: job.status === 'canceled',
      scopes: [...JOB_TOKEN_SCOPES],
      created_at: job.started_at ?? job.created_at,
      expires_at: jobDeadline(job)?.toISOString() ?? null,
      last_used_at: null,
      user_id: job.user_id,
      owner: user ? { id: user.id, username: user.username, bot: user.bot_kind !== null } : null,
      resource: { type: 'project', id: job.project_id },
      access_level: null,
    };
  }
}

/**
 * Why a dead job token is dead: canceling its job is how a job token is revoked; a job that ran to
 * its end (success or failure) finished; one that never started, or outlived its timeout, expired.
 */
function jobTokenDeathOf(job: Job): 'revoked' | 'job_finished' | 'expired' {
  if (job.status === 'canceled') return 'revoked';
  if (
    (job.status === 'success' || job.status === 'failed') &&
    job.failure_reason !== 'job_execution_timeout'
  ) {
    return 'job_finished';
  }
  return 'expired';
}
