import { generateKeyPair, jwtVerify, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { signJwt } from '../../src/keys/sign-jwt.ts';
import {
  guessDeploymentTier,
  idTokenClaims,
  type IdTokenFacts,
} from '../../src/tokens/id-token/id-token-claims.ts';
import { mintIdTokens, mintLegacyJobJwts } from '../../src/tokens/id-token/mint-id-tokens.ts';
import { subjectFor, validateSubClaimComponents } from '../../src/tokens/id-token/sub-claim.ts';

const facts: IdTokenFacts = {
  namespace: { id: 24, full_path: 'mygroup' },
  project: { id: 20, full_path: 'mygroup/aws-jwt-auth', visibility: 'private' },
  user: { id: 1, username: 'root', email: 'admin@example.com' },
  userAccessLevel: 30,
  pipeline: {
    id: 189,
    source: 'web',
    ref: 'main',
    refType: 'branch',
    sha: 'a'.repeat(40),
    refProtected: true,
  },
  job: { id: 545 },
  runner: { id: 7, environment: 'self-hosted' },
  groupsDirect: ['mygroup', 'other'],
  serverHost: 'tessera.example',
  ciConfigPath: '.gitlab-ci.yml',
};

describe('ID token claims', () => {
  it('spells every claim as the platform does: ids as strings, booleans as "true"/"false", runner_id a number', () => {
    expect(idTokenClaims(facts)).toEqual({
      namespace_id: '24',
      namespace_path: 'mygroup',
      project_id: '20',
      project_path: 'mygroup/aws-jwt-auth',
      user_id: '1',
      user_login: 'root',
      user_email: 'admin@example.com',
      user_access_level: 'developer',
      pipeline_id: '189',
      pipeline_source: 'web',
      job_id: '545',
      ref: 'main',
      ref_type: 'branch',
      ref_path: 'refs/heads/main',
      ref_protected: 'true',
      groups_direct: ['mygroup', 'other'],
      runner_id: 7,
      runner_environment: 'self-hosted',
      sha: 'a'.repeat(40),
      project_visibility: 'private',
      ci_config_ref_uri: 'tessera.example/mygroup/aws-jwt-auth//.gitlab-ci.yml@refs/heads/main',
      ci_config_sha: 'a'.repeat(40),
    });
  });

  it('adds the four environment claims only for a job with an environment', () => {
    const claims = idTokenClaims({
      ...facts,
      environment: { name: 'production', protected: false, tier: 'production', action: 'start' },
    });
    expect(claims).toMatchObject({
      environment: 'production',
      environment_protected: 'false',
      deployment_tier: 'production',
      environment_action: 'start',
    });
    expect(Object.keys(idTokenClaims(facts))).not.toContain('environment');
  });

  it('writes tag refs under refs/tags', () => {
    const claims = idTokenClaims({
      ...facts,
      pipeline: { ...facts.pipeline, ref: 'v1.0', refType: 'tag', refProtected: false },
    });
    expect(claims).toMatchObject({ ref_type: 'tag', ref_path: 'refs/tags/v1.0', ref_protected: 'false' });
  });

  it('leaves groups_direct out past 200 groups', () => {
    const many = Array.from({ length: 201 }, (_, i) => `g${i}`);
    expect(idTokenClaims({ ...facts, groupsDirect: many })).not.toHaveProperty('groups_direct');
    expect(idTokenClaims({ ...facts, groupsDirect: many.slice(0, 200) }).groups_direct).toHaveLength(200);
  });

  it.each([
    ['production', 'production'],
    ['staging', 'staging'],
    ['review/feature-x', 'development'],
    ['qa', 'testing'],
    ['customer-a', 'other'],
  ])('guesses the tier of environment %s as %s', (name, tier) => {
    expect(guessDeploymentTier(name)).toBe(tier);
  });
});

describe('the sub claim', () => {
  const claims = idTokenClaims({
    ...facts,
    environment: { name: 'prod', protected: false, tier: 'production', action: 'start' },
  });

  it('defaults to project_path:{path}:ref_type:{type}:ref:{ref}', () => {
    expect(subjectFor(claims)).toBe('project_path:mygroup/aws-jwt-auth:ref_type:branch:ref:main');
  });

  it('follows a project’s own ordered components', () => {
    expect(subjectFor(claims, ['project_id', 'environment', 'deployment_tier'])).toBe(
      'project_id:20:environment:prod:deployment_tier:production',
    );
    expect(subjectFor(idTokenClaims(facts), ['job_project_path', 'environment'])).toBe(
      'job_project_path:mygroup/aws-jwt-auth:environment:',
    );
  });

  it.each([
    [[], /non-empty/],
    ['project_path', /non-empty/],
    [['project_path', 'colour'], /unknown keys: colour/],
    [['ref', 'project_path'], /must start with a key that identifies the project/],
    [['project_id', 'ref', 'ref'], /repeat/],
  ])('refuses %j', (components, problem) => {
    expect(validateSubClaimComponents(components)).toMatch(problem);
  });

  it('accepts a list that starts with the project', () => {
    expect(validateSubClaimComponents(['project_id', 'ref_type', 'ref'])).toEqual([
      'project_id',
      'ref_type',
      'ref',
    ]);
  });
});

describe('minting', async () => {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const now = new Date('2026-03-01T12:00:00Z');
  const keys = {
    signJwt: (_role: string, payload: Record<string, unknown>, options: Parameters<typeof signJwt>[2]) =>
      signJwt({ kid: 'test-kid', alg: 'RS256', privateKey }, payload, options, {
        now,
        defaultIssuer: 'https://tessera.example',
        maxLifetimeSeconds: 86400,
      }),
  };
  const claims = idTokenClaims(facts);
  const verify = (token: string, options: Parameters<typeof jwtVerify>[2]) =>
    jwtVerify(token, publicKey, { currentDate: now, ...options });

  it('signs one RS256 token per entry, each with its own aud, iat/nbf/exp/jti and the shared sub', async () => {
    const minted = await mintIdTokens(
      keys,
      claims,
      subjectFor(claims),
      {
        AWS_TOKEN: { aud: ['sts.amazonaws.com'] },
        VAULT_TOKEN: { aud: ['https://vault.example', 'https://backup.example'] },
      },
      600,
    );
    expect(minted.map((m) => m.variable)).toEqual(['AWS_TOKEN', 'VAULT_TOKEN']);
    const aws = await verify(minted[0]!.token, {
      audience: 'sts.amazonaws.com',
      issuer: 'https://tessera.example',
    });
    expect(aws.payload.aud).toBe('sts.amazonaws.com');
    expect(aws.payload).toMatchObject({
      ...claims,
      sub: 'project_path:mygroup/aws-jwt-auth:ref_type:branch:ref:main',
    });
    expect(aws.payload.exp! - aws.payload.iat!).toBe(600);
    expect(aws.payload.iat! - aws.payload.nbf!).toBe(5);
    expect(aws.payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(decodeProtectedHeader(minted[0]!.token)).toEqual({ alg: 'RS256', kid: 'test-kid', typ: 'JWT' });
    const vault = await verify(minted[1]!.token, { audience: 'https://backup.example' });
    expect(vault.payload.aud).toEqual(['https://vault.example', 'https://backup.example']);
    expect(vault.payload.jti).not.toBe(aws.payload.jti);
  });

  it('makes the legacy V1 with the bare host as iss, job_<id> as sub and no aud; V2 with the URL as aud', async () => {
    const [v1, alias, v2] = await mintLegacyJobJwts(keys, claims, {
      jobId: 545,
      externalUrl: 'https://tessera.example',
      lifetimeSeconds: 300,
    });
    expect([v1!.variable, alias!.variable, v2!.variable]).toEqual([
      'CI_JOB_JWT',
      'CI_JOB_JWT_V1',
      'CI_JOB_JWT_V2',
    ]);
    expect(alias!.token).toBe(v1!.token);
    const first = await verify(v1!.token, { issuer: 'tessera.example' });
    expect(first.payload.sub).toBe('job_545');
    expect(first.payload).not.toHaveProperty('aud');
    const second = await verify(v2!.token, {
      issuer: 'https://tessera.example',
      audience: 'https://tessera.example',
    });
    expect(second.payload.sub).toBe('project_path:mygroup/aws-jwt-auth:ref_type:branch:ref:main');
  });
});
