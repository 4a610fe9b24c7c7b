import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/ci/duration.ts';
import { parsePipelineConfig, type PipelineConfig } from '../../src/ci/pipeline-config.ts';
import { selectJobs } from '../../src/ci/select-jobs.ts';

function parsed(text: string): PipelineConfig {
  const result = parsePipelineConfig(text);
  if (!result.ok) throw new Error(result.errors.join('; '));
  return result.config;
}

function errorsOf(text: string): string[] {
  const result = parsePipelineConfig(text);
  if (result.ok) throw new Error('expected the configuration to be refused');
  return result.errors;
}

describe('reading .gitlab-ci.yml', () => {
  it('reads stages, jobs, environment, id_tokens, timeout, tags and variables', () => {
    const config = parsed(`
stages: [build, deploy]
variables:
  GLOBAL: "1"
compile:
  stage: build
  script: make
deploy:
  stage: deploy
  tags: [linux]
  timeout: 1h 30m
  environment:
    name: production
    deployment_tier: production
    action: start
  id_tokens:
    AWS_TOKEN:
      aud: sts.amazonaws.com
    VAULT_TOKEN:
      aud: [https://vault.example, https://other.example]
  variables:
    LEVEL: 3
  script:
    - echo one
    - [echo two, echo three]
`);
    expect(config.stages).toEqual(['.pre', 'build', 'deploy', '.post']);
    expect(config.variables).toEqual({ GLOBAL: '1' });
    expect(config.jobs.map((j) => [j.name, j.stage])).toEqual([
      ['compile', 'build'],
      ['deploy', 'deploy'],
    ]);
    const deploy = config.jobs[1]!;
    expect(deploy).toMatchObject({
      script: ['echo one', 'echo two', 'echo three'],
      tags: ['linux'],
      timeoutSeconds: 5400,
      environment: { name: 'production', deployment_tier: 'production', action: 'start' },
      id_tokens: {
        AWS_TOKEN: { aud: ['sts.amazonaws.com'] },
        VAULT_TOKEN: { aud: ['https://vault.example', 'https://other.example'] },
      },
      variables: { LEVEL: '3' },
    });
  });

  it('puts a job without a stage in test and accepts an environment given by name', () => {
    const config = parsed('job:\n  environment: review\n  script: [echo ok]\n');
    expect(config.stages).toEqual(['.pre', 'build', 'test', 'deploy', '.post']);
    expect(config.jobs[0]).toMatchObject({ stage: 'test', environment: { name: 'review' } });
  });

  it('ignores hidden jobs (templates)', () => {
    expect(parsed('.template:\n  script: x\njob:\n  script: y\n').jobs.map((j) => j.name)).toEqual(['job']);
  });

  it.each([
    ['a YAML syntax error', 'job:\n  script: [unclosed\n', /^yaml syntax error: /],
    [
      'an unknown job keyword',
      'build:\n  script: make\n  image: alpine\n',
      'jobs:build config contains unknown keys: image',
    ],
    [
      'an unsupported global keyword',
      'include: other.yml\njob:\n  script: x\n',
      'include is not supported by Tessera pipelines',
    ],
    [
      'id_tokens without aud',
      'deploy:\n  script: x\n  id_tokens:\n    AWS:\n      audience: sts\n',
      'jobs:deploy:id_tokens:AWS config contains unknown keys: audience',
    ],
    [
      'id_tokens with nothing in them',
      'deploy:\n  script: x\n  id_tokens:\n    AWS: {}\n',
      'jobs:deploy:id_tokens:AWS config missing required keys: aud',
    ],
    [
      'a job without script',
      'job:\n  stage: test\n',
      'jobs:job config should implement a script: or a trigger: keyword',
    ],
    [
      'a stage that does not exist',
      'stages: [a]\njob:\n  stage: b\n  script: x\n',
      /chosen stage b does not exist/,
    ],
    ['a bad timeout', 'job:\n  script: x\n  timeout: soon\n', 'jobs:job:timeout config should be a duration'],
    [
      'a bad rule expression',
      'job:\n  script: x\n  rules:\n    - if: $A =~ /x/\n',
      /invalid expression syntax/,
    ],
    [
      'an unknown deployment tier',
      'job:\n  script: x\n  environment: {name: p, deployment_tier: prod}\n',
      /deployment tier should be one of/,
    ],
    ['no job at all', 'stages: [a]\n', 'jobs config should contain at least one visible job'],
    ['a document that is not a mapping', '- a\n- b\n', 'Invalid configuration format'],
  ])('refuses %s with a clear message', (_case, text, expected) => {
    const errors = errorsOf(text);
    if (typeof expected === 'string') expect(errors).toContain(expected);
    else expect(errors.some((e) => expected.test(e))).toBe(true);
  });

  it('selects jobs by rules on the ref name and pipeline source', () => {
    const config = parsed(`
always:
  script: x
main-only:
  script: x
  rules:
    - if: $CI_COMMIT_REF_NAME == "main"
not-on-api:
  script: x
  rules:
    - if: '$CI_PIPELINE_SOURCE == "api"'
      when: never
    - when: on_success
push-and-main:
  script: x
  rules:
    - if: $CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_REF_NAME != 'feature' || $FORCE
`);
    const names = (vars: Record<string, string>) => selectJobs(config, vars).map((j) => j.name);
    expect(names({ CI_COMMIT_REF_NAME: 'main', CI_PIPELINE_SOURCE: 'push' })).toEqual([
      'always',
      'main-only',
      'not-on-api',
      'push-and-main',
    ]);
    expect(names({ CI_COMMIT_REF_NAME: 'feature', CI_PIPELINE_SOURCE: 'api' })).toEqual(['always']);
    expect(names({ CI_COMMIT_REF_NAME: 'feature', CI_PIPELINE_SOURCE: 'api', FORCE: '1' })).toEqual([
      'always',
      'push-and-main',
    ]);
  });
});

describe('durations', () => {
  it.each([
    ['3600', 3600],
    [90, 90],
    ['90s', 90],
    ['10 minutes', 600],
    ['1h 30m', 5400],
    ['2 hours', 7200],
    ['1 day', 86400],
  ])('reads %s as %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', 'soon', '10 fortnights', '0', '-5', '5 minutes later'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
