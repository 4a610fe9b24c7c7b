import { describe, expect, it } from 'vitest';
import { runnerCanRun } from '../../src/ci/pick-job.ts';
import { nextPipelineStep } from '../../src/ci/pipeline-progress.ts';
import { slug } from '../../src/ci/predefined-variables.ts';
import { isProtectedBranch, pushAccessLevelFor } from '../../src/ci/protected-refs.ts';
import type { Runner } from '../../src/store/ci-schema.ts';
import { LogMasker } from '../../src/runner/log-masker.ts';
import { shellQuote } from '../../src/runner/shell-executor.ts';

const runner = (fields: Partial<Runner> = {}): Runner => ({
  id: 1,
  runner_type: 'instance_type',
  project_id: null,
  description: '',
  token_digest: 'd',
  environment: 'self-hosted',
  tag_list: '[]',
  run_untagged: 1,
  paused: 0,
  created_by_id: null,
  created_at: '',
  contacted_at: null,
  ...fields,
});

describe('which runner takes which job', () => {
  it('gives a project runner only its project’s jobs', () => {
    const own = runner({ runner_type: 'project_type', project_id: 7 });
    expect(runnerCanRun(own, { project_id: 7, tag_list: '[]' })).toBe(true);
    expect(runnerCanRun(own, { project_id: 8, tag_list: '[]' })).toBe(false);
    expect(runnerCanRun(runner(), { project_id: 8, tag_list: '[]' })).toBe(true);
  });

  it('needs every job tag on the runner, and run_untagged for untagged jobs', () => {
    const tagged = runner({ tag_list: '["linux","docker"]', run_untagged: 0 });
    expect(runnerCanRun(tagged, { project_id: 1, tag_list: '["linux"]' })).toBe(true);
    expect(runnerCanRun(tagged, { project_id: 1, tag_list: '["linux","gpu"]' })).toBe(false);
    expect(runnerCanRun(tagged, { project_id: 1, tag_list: '[]' })).toBe(false);
    expect(runnerCanRun(runner({ paused: 1 }), { project_id: 1, tag_list: '[]' })).toBe(false);
  });
});

describe('how a pipeline moves on', () => {
  const job = (
    id: number,
    stage_idx: number,
    status: Parameters<typeof nextPipelineStep>[0][number]['status'],
  ) => ({
    id,
    stage_idx,
    status,
  });

  it('waits while a stage runs, then opens the next stage', () => {
    expect(nextPipelineStep([job(1, 1, 'running'), job(2, 2, 'created')])).toEqual({
      promote: [],
      skip: [],
      status: 'running',
    });
    expect(nextPipelineStep([job(1, 1, 'pending'), job(2, 2, 'created')])).toEqual({
      promote: [],
      skip: [],
      status: 'pending',
    });
    expect(nextPipelineStep([job(1, 1, 'success'), job(2, 2, 'created'), job(3, 3, 'created')])).toEqual({
      promote: [2],
      skip: [],
      status: 'running',
    });
  });

  it('skips what is left after a failure or a cancel', () => {
    expect(nextPipelineStep([job(1, 1, 'failed'), job(2, 2, 'created')])).toEqual({
      promote: [],
      skip: [2],
      status: 'failed',
    });
    expect(nextPipelineStep([job(1, 1, 'canceled'), job(2, 2, 'created')])).toEqual({
      promote: [],
      skip: [2],
      status: 'canceled',
    });
    expect(nextPipelineStep([job(1, 1, 'success'), job(2, 2, 'success')])).toEqual({
      promote: [],
      skip: [],
      status: 'success',
    });
  });
});

describe('protected branches', () => {
  const protection = {
    defaultBranch: 'main',
    defaultBranchProtected: true,
    rules: [{ name: 'release/*', push_access_level: 30 }],
  };

  it('protects the default branch for maintainers and pattern rules at their level', () => {
    expect(pushAccessLevelFor(protection, 'main')).toBe(40);
    expect(pushAccessLevelFor(protection, 'release/1.0')).toBe(30);
    expect(isProtectedBranch(protection, 'feature')).toBe(false);
    expect(isProtectedBranch({ ...protection, defaultBranchProtected: false }, 'main')).toBe(false);
  });
});

describe('the job log', () => {
  it('masks a secret even when it arrives split across chunks', () => {
    const masker = new LogMasker(['glcbt-secret-value-123']);
    const out = masker.push('token: glcbt-sec') + masker.push('ret-value-123 and more\n') + masker.flush();
    expect(out).toBe('token: [MASKED] and more\n');
  });

  it('releases text that cannot start a secret at once', () => {
    const masker = new LogMasker(['abcdefgh']);
    expect(masker.push('hello world')).toBe('hell');
    expect(masker.flush()).toBe('o world');
  });

  it('quotes script lines for bash, single quotes included', () => {
    expect(shellQuote(`it's "fine"`)).toBe(`'it'\\''s "fine"'`);
  });

  it('slugs refs as the platform does', () => {
    expect(slug('Feature/ABC_1')).toBe('feature-abc-1');
  });
});
