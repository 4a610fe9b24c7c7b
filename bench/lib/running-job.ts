import { SYSTEM_ACTOR } from '../../src/audit/audit-log.ts';
import { createGroup } from '../../src/identity/group.service.ts';
import { createProject } from '../../src/identity/project.service.ts';
import { createUser } from '../../src/identity/user.service.ts';
import type { InstanceContext } from '../../src/runtime/instance-context.ts';
import { insertJob } from '../../src/store/ci-jobs.repository.ts';
import { insertPipeline } from '../../src/store/ci-pipelines.repository.ts';
import { insertRunner } from '../../src/store/ci-runners.repository.ts';
import { mintJobToken } from '../../src/tokens/job/job-token-secret.ts';

/** A running job of a fresh user's project, picked by an instance runner: its job token's plaintext. */
export async function runningJobToken(context: InstanceContext): Promise<string> {
  const user = await createUser(context.db, context.clock, SYSTEM_ACTOR, {
    username: 'bench-ci',
    email: 'bench-ci@example.test',
  });
  const by = { user, ip: null };
  const group = await createGroup(context.db, context.clock, by, {
    name: 'bench-ci',
    path: 'bench-ci-group',
  });
  const project = await createProject(context.db, context.clock, by, { name: 'app', namespace: group.id });
  const now = new Date().toISOString();
  const pipeline = await insertPipeline(context.db, {
    project_id: project.id,
    ref: 'main',
    tag: 0,
    sha: 'a'.repeat(40),
    before_sha: '0'.repeat(40),
    source: 'push',
    status: 'running',
    user_id: user.id,
    yaml_errors: null,
    created_at: now,
    started_at: now,
    finished_at: null,
  });
  const runner = await insertRunner(context.db, {
    runner_type: 'instance_type',
    project_id: null,
    description: 'bench',
    token_digest: context.secrets.digester.digest('glrt-bench-runner-token'),
    environment: 'self-hosted',
    tag_list: '[]',
    run_untagged: 1,
    paused: 0,
    created_by_id: user.id,
    created_at: now,
    contacted_at: now,
  });
  const token = mintJobToken('');
  await insertJob(context.db, {
    pipeline_id: pipeline.id,
    project_id: project.id,
    name: 'bench',
    stage: 'test',
    stage_idx: 1,
    status: 'running',
    failure_reason: null,
    user_id: user.id,
    runner_id: runner.id,
    definition: JSON.stringify({ script: ['true'], id_tokens: {}, variables: {} }),
    tag_list: '[]',
    timeout_seconds: 3600,
    token_digest: context.secrets.digester.digest(token),
    created_at: now,
    queued_at: now,
    started_at: now,
    finished_at: null,
  });
  return token;
}
