import { describe, expect, it } from 'vitest';
import {
  isCredentialKey,
  maskingProblems,
  scopeMatches,
  scopeSpecificity,
} from '../../src/ci/variables/variable-rules.ts';
import { secretsOf, type JobSpec } from '../../src/runner/job-spec.ts';
import { LogMasker } from '../../src/runner/log-masker.ts';

describe('CI/CD variable rules', () => {
  it('treats the job token, registry and deploy passwords and every CI_JOB_JWT* as credentials', () => {
    for (const key of [
      'CI_JOB_TOKEN',
      'CI_REGISTRY_PASSWORD',
      'CI_DEPLOY_PASSWORD',
      'CI_JOB_JWT',
      'CI_JOB_JWT_V1',
    ])
      expect(isCredentialKey(key)).toBe(true);
    for (const key of ['CI_JOB_TOKEN_X', 'CI_REGISTRY_USER', 'DEPLOY_PASSWORD'])
      expect(isCredentialKey(key)).toBe(false);
  });

  it('masks only values of 8 characters or more, on one line, in GitLab’s alphabet unless raw', () => {
    expect(maskingProblems('abcdEFGH12+/=@:.~-_', false)).toEqual([]);
    expect(maskingProblems('short', false)).toEqual(['The value must have at least 8 characters.']);
    expect(maskingProblems('two words here', false)[0]).toContain('whitespace characters');
    expect(maskingProblems('pa$$word!!', false)[0]).toContain('the following characters: $, !.');
    expect(maskingProblems('pa$$word!!', true)).toEqual([]);
  });

  it('matches environment scopes with wildcards, the most specific first', () => {
    expect(scopeMatches('*', undefined)).toBe(true);
    expect(scopeMatches('production', undefined)).toBe(false);
    expect(scopeMatches('review/*', 'review/feature-1')).toBe(true);
    expect(scopeMatches('review/*', 'production')).toBe(false);
    expect(scopeMatches('production', 'production')).toBe(true);
    expect(scopeSpecificity('production')).toBeGreaterThan(scopeSpecificity('prod*'));
    expect(scopeSpecificity('prod*')).toBeGreaterThan(scopeSpecificity('*'));
  });
});

describe('the runner’s masking of a masked value', () => {
  const job = (value: string): JobSpec => ({
    id: 1,
    token: 'glcbt-0123456789abcdef',
    job_info: { name: 'j', stage: 's', project_id: 1 },
    git_info: { repo_url: 'http://x', ref: 'main', sha: 'a' },
    runner_info: { timeout: 60 },
    variables: [{ key: 'S', value, public: false, masked: true }],
    steps: [],
  });

  it('hides the value as it is, URL-encoded and base64-encoded', () => {
    const value = 'p@ss:word/with+signs';
    const masker = new LogMasker(secretsOf(job(value)));
    const printed = [
      value,
      encodeURIComponent(value),
      Buffer.from(value).toString('base64'),
      Buffer.from(value).toString('base64url'),
    ].join(' | ');
    const out = masker.push(printed) + masker.flush();
    expect(out).toBe('[MASKED] | [MASKED] | [MASKED] | [MASKED]');
  });
});
