import { recordAudit, SYSTEM_ACTOR } from '../audit/audit-log.ts';
import type { Job, Runner } from '../store/ci-schema.ts';
import { listPendingJobs, transitionJob } from '../store/ci-jobs.repository.ts';
import { findPipelineById, updatePipeline } from '../store/ci-pipelines.repository.ts';
import { inTransaction } from '../store/in-transaction.ts';
import { findProjectById } from '../store/projects.repository.ts';
import { findUserById } from '../store/users.repository.ts';
import { mintJobToken } from '../tokens/job/job-token-secret.ts';
import type { CiDeps } from './ci-deps.ts';
import { definitionOf, tagsOf } from './job-definition.ts';
import { jobVariables, type StartedJob } from './job-credentials.ts';
import { jobPayload, type JobPayload } from './job-payload.ts';
import { finishJob } from './finish-job.ts';

/** How many pending jobs one request looks through for one the runner can take. */
const CANDIDATES = 100;

/**
 * Whether the runner may take the job: a project runner only its project's jobs; every tag of the job
 * among the runner's; an untagged job only on a runner that runs untagged jobs.
 */
export function runnerCanRun(runner: Runner, job: Pick<Job, 'project_id' | 'tag_list'>): boolean {
  if (runner.paused) return false;
  if (runner.runner_type === 'project_type' && runner.project_id !== job.project_id) return false;
  const jobTags = tagsOf(job);
  if (jobTags.length === 0) return runner.run_untagged === 1;
  const runnerTags = tagsOf(runner);
  return jobTags.every((tag) => runnerTags.includes(tag));
}

/**
 * Gives the runner the oldest pending job it can run: the job starts (running, its token minted and
 * kept as a digest, audited) and its payload — variables, ID tokens, script — is returned. Null when
 * there is nothing for this runner. Two runners racing for one job: exactly one gets it.
 */
export async function pickJob(deps: CiDeps, runner: Runner): Promise<JobPayload | null> {
  for (const candidate of await listPendingJobs(deps.db, CANDIDATES)) {
    if (!runnerCanRun(runner, candidate)) continue;
    const token = mintJobToken(deps.settings.tokenPrefix);
    const now = deps.clock.now().toISOString();
    const job = await inTransaction(deps.db, async (trx) => {
      const started = await transitionJob(trx, candidate.id, ['pending'], {
        status: 'running',
        runner_id: runner.id,
        token_digest: deps.digester.digest(token),
        started_at: now,
      });
      if (!started) return undefined;
      await recordAudit(
        trx,
        deps.clock,
        { ...SYSTEM_ACTOR, name: `runner:${runner.id}` },
        {
          action: 'ci_job_token.created',
          entity: { type: 'ci_job', id: started.id },
          target: { type: 'project', id: started.project_id },
          details: { runner_id: runner.id, timeout_seconds: started.timeout_seconds },
        },
      );
      const pipeline = await findPipelineById(trx, started.pipeline_id);
      if (pipeline && pipeline.status !== 'running') {
        await updatePipeline(trx, pipeline.id, { status: 'running', started_at: pipeline.started_at ?? now });
      }
      return started;
    });
    if (!job) continue;
    deps.metrics.tokensIssued.inc({ type: 'ci_job_token' });
    try {
      return await payloadFor(deps, job, runner, token);
    } catch (error) {
      // The job cannot be described (its user or project vanished): it fails instead of hanging.
      deps.logger.warn({ err: error, jobId: job.id }, 'job could not be started');
      await finishJob(deps, job, { status: 'failed', failureReason: 'runner_system_failure' }, SYSTEM_ACTOR);
    }
  }
  return null;
}

async function payloadFor(deps: CiDeps, job: Job, runner: Runner, token: string): Promise<JobPayload> {
  const [pipeline, project, user] = await Promise.all([
    findPipelineById(deps.db, job.pipeline_id),
    findProjectById(deps.db, job.project_id),
    job.user_id === null ? undefined : findUserById(deps.db, job.user_id),
  ]);
  if (!pipeline || !project || !user) throw new Error('job without pipeline, project or user');
  const started: StartedJob = { job, pipeline, project, user, runner, token };
  const variables = await jobVariables(deps, started);
  return jobPayload(started, definitionOf(job), variables, deps.settings.externalUrl);
}
