import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwksRsa from 'jwks-rsa';
import jsonwebtoken from 'jsonwebtoken';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src/store/ci-schema.ts';
import type { Namespace, Project } from '../../src/store/schema.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { createGroup } from '../support/world.ts';
import {
  call,
  finishedJobs,
  latestPipeline,
  newestPipelineId,
  personWithPat,
  projectOf,
  pushFiles,
  registerRunner,
  startCiInstance,
  startRunner,
  type CiActor,
} from './ci-world.ts';

const TOKEN_VARIABLES = ['AWS_TOKEN', 'VAULT_TOKEN', 'CI_JOB_JWT', 'CI_JOB_JWT_V1', 'CI_JOB_JWT_V2'];
const AWS = 'sts.amazonaws.com';
const VAULT = 'https://vault.example';

/** A pipeline whose job deploys to production and declares two ID tokens, writing every token it got to `out`. */
function federationConfig(out: string, extraJobs = ''): string {
  return `
deploy:
  timeout: 10 minutes
  environment:
    name: production
    deployment_tier: production
  id_tokens:
    AWS_TOKEN:
      aud: ${AWS}
    VAULT_TOKEN:
      aud: [${VAULT}]
  variables:
    OUT: ${out}
  script:
    - 'for v in ${TOKEN_VARIABLES.join(' ')}; do if [ -n "\${!v:-}" ]; then printf "%s" "\${!v}" > "$OUT/$CI_JOB_ID.$v"; fi; done'
    - echo "aws token is $AWS_TOKEN"
${extraJobs}`;
}

/** AWS's `StringLike`: `*` stands for any run of characters. */
function stringLike(pattern: string, value: string): boolean {
  const regex = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${regex}$`).test(value);
}

describe('CI ID tokens federate with outside verifiers', () => {
  let instance: TestInstance;
  let alice: CiActor;
  let mygroup: Namespace;
  let app: Project;
  let other: Project;
  let out: string;
  let runner: { stop(): Promise<void> };
  let mainJob: Job;
  let featureJob: Job;
  let otherJob: Job;
  let otherWorkTree: string;

  /** The tokens a job wrote, by variable name. */
  const tokensOf = (job: Job): Record<string, string> =>
    Object.fromEntries(
      TOKEN_VARIABLES.filter((v) => existsSync(join(out, `${job.id}.${v}`))).map((v) => [
        v,
        rememberSecret(readFileSync(join(out, `${job.id}.${v}`), 'utf8')),
      ]),
    );

  async function runPush(
    project: Project,
    files: Record<string, string>,
    branch = 'main',
    workTree?: string,
  ) {
    const before = await newestPipelineId(instance, project);
    const pushed = await pushFiles(instance, project, alice, files, {
      branch,
      ...(workTree ? { workTree } : {}),
    });
    const pipeline = await latestPipeline(instance, project, before);
    expect(pipeline.yaml_errors).toBeNull();
    return { jobs: await finishedJobs(instance, pipeline), workTree: pushed.workTree };
  }

  /** openid-client discovery from the issuer URL, then the JWKS it names, then signature, `iss` and `aud`. */
  async function verifyWithOpenidClient(token: string, audience: string) {
    const config = await client.discovery(new URL(instance.url), 'ci-federation-test', undefined, undefined, {
      execute: [client.allowInsecureRequests],
    });
    const metadata = config.serverMetadata();
    const header = jsonwebtoken.decode(token, { complete: true })!.header;
    const key = await jwksRsa({ jwksUri: metadata.jwks_uri! }).getSigningKey(header.kid);
    return jsonwebtoken.verify(token, key.getPublicKey(), {
      algorithms: ['RS256'],
      audience,
      issuer: metadata.issuer,
    }) as jsonwebtoken.JwtPayload;
  }

  function verifyWithPyJwt(
    token: string,
    audience: string,
  ): Promise<{ code: number; claims?: Record<string, unknown>; stderr: string }> {
    return new Promise((resolve) => {
      const child = execFile(
        '/usr/bin/python3',
        ['test/ci/fixtures/verify_id_token.py', instance.url, audience],
        (error, stdout, stderr) => {
          const code = error ? ((error as { code?: number }).code ?? 1) : 0;
          resolve({ code, stderr, ...(code === 0 ? { claims: JSON.parse(stdout) } : {}) });
        },
      );
      child.stdin!.end(token);
    });
  }

  /** A cloud trust policy: signature and issuer, `aud` equal to the audience, `sub` like the pattern. */
  async function trustPolicyAdmits(token: string): Promise<boolean> {
    try {
      const claims = await verifyWithOpenidClient(token, AWS);
      return claims.aud === AWS && stringLike('project_path:mygroup/*:ref_type:branch:ref:main', claims.sub!);
    } catch {
      return false;
    }
  }

  beforeAll(async () => {
    instance = await startCiInstance('ci-federation');
    const admin = await personWithPat(instance, { is_admin: 1 });
    alice = await personWithPat(instance);
    mygroup = await createGroup(instance.context.db, { path: 'mygroup' });
    app = await projectOf(instance, alice.user, { group: mygroup, path: 'app' });
    other = await projectOf(instance, alice.user, { groupPath: 'othergroup', path: 'app' });
    out = mkdtempSync(join(tmpdir(), 'tessera-id-tokens-'));
    runner = startRunner(instance, (await registerRunner(instance, admin.pat)).token, 'federation-runner');

    const first = await runPush(app, { '.gitlab-ci.yml': federationConfig(out) });
    mainJob = first.jobs[0]!;
    featureJob = (await runPush(app, { 'feature.txt': 'x' }, 'feature', first.workTree)).jobs[0]!;
    const third = await runPush(other, { '.gitlab-ci.yml': federationConfig(out) });
    otherJob = third.jobs[0]!;
    otherWorkTree = third.workTree;
  });
  afterAll(async () => {
    await runner.stop();
    rmSync(out, { recursive: true, force: true });
    await instance.stop();
  });

  it('gives a job one token per id_tokens entry, each with its own audience', async () => {
    expect(mainJob.status).toBe('success');
    const tokens = tokensOf(mainJob);
    expect(Object.keys(tokens).sort()).toEqual(['AWS_TOKEN', 'VAULT_TOKEN']);
    expect((await verifyWithOpenidClient(tokens.AWS_TOKEN!, AWS)).aud).toBe(AWS);
    expect((await verifyWithOpenidClient(tokens.VAULT_TOKEN!, VAULT)).aud).toBe(VAULT);
    await expect(verifyWithOpenidClient(tokens.AWS_TOKEN!, VAULT)).rejects.toThrow(/audience invalid/);
  });

  it('serves the JWKS with the cache header cloud verifiers need', async () => {
    const response = await fetch(`${instance.url}/oauth/discovery/keys`);
    expect(response.headers.get('cache-control')).toBe('max-age=300, public, must-revalidate, no-transform');
  });

  it('carries claims that match the project, pipeline, job, ref and environment', async () => {
    const claims = await verifyWithOpenidClient(tokensOf(mainJob).AWS_TOKEN!, AWS);
    const pipeline = await latestPipeline(instance, app, 0);
    expect(claims).toMatchObject({
      iss: instance.url,
      sub: 'project_path:mygroup/app:ref_type:branch:ref:main',
      aud: AWS,
      namespace_id: String(mygroup.id),
      namespace_path: 'mygroup',
      project_id: String(app.id),
      project_path: 'mygroup/app',
      user_id: String(alice.user.id),
      user_login: alice.user.username,
      user_email: alice.user.email,
      user_access_level: 'maintainer',
      pipeline_source: 'push',
      job_id: String(mainJob.id),
      ref: 'main',
      ref_type: 'branch',
      ref_path: 'refs/heads/main',
      ref_protected: 'true',
      environment: 'production',
      environment_protected: 'false',
      deployment_tier: 'production',
      environment_action: 'start',
      runner_environment: 'self-hosted',
      project_visibility: 'private',
      ci_config_ref_uri: `${new URL(instance.url).host}/mygroup/app//.gitlab-ci.yml@refs/heads/main`,
    });
    expect(Number(claims.pipeline_id)).toBeLessThanOrEqual(pipeline.id);
    expect(claims.runner_id).toBe(mainJob.runner_id);
    expect(claims.sha).toBe(claims.ci_config_sha);
    expect(claims.exp! - claims.iat!).toBe(600);
    expect(claims.iat! - claims.nbf!).toBe(5);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('is verified by PyJWT’s PyJWKClient from the issuer URL alone', async () => {
    const tokens = tokensOf(mainJob);
    const aws = await verifyWithPyJwt(tokens.AWS_TOKEN!, AWS);
    expect(aws.stderr).toBe('');
    expect(aws.claims).toMatchObject({ aud: AWS, project_path: 'mygroup/app', job_id: String(mainJob.id) });
    const vault = await verifyWithPyJwt(tokens.VAULT_TOKEN!, VAULT);
    expect(vault.claims).toMatchObject({ aud: VAULT, environment: 'production' });
    const wrong = await verifyWithPyJwt(tokens.VAULT_TOKEN!, AWS);
    expect(wrong).toMatchObject({ code: 1, stderr: expect.stringContaining('InvalidAudienceError') });
  });

  it('masks the tokens in the job log', async () => {
    const response = await fetch(`${instance.url}/api/v4/projects/${app.id}/jobs/${mainJob.id}/trace`, {
      headers: { 'private-token': alice.pat },
    });
    const log = await response.text();
    expect(log).toContain('aws token is [MASKED]');
    expect(log).not.toContain(tokensOf(mainJob).AWS_TOKEN!);
  });

  it('satisfies a cloud trust policy on the main branch only, and only for the group’s projects', async () => {
    expect(await trustPolicyAdmits(tokensOf(mainJob).AWS_TOKEN!)).toBe(true);
    expect(featureJob.status).toBe('success');
    expect(await trustPolicyAdmits(tokensOf(featureJob).AWS_TOKEN!)).toBe(false);
    expect((await verifyWithOpenidClient(tokensOf(featureJob).AWS_TOKEN!, AWS)).sub).toBe(
      'project_path:mygroup/app:ref_type:branch:ref:feature',
    );
    expect(await trustPolicyAdmits(tokensOf(otherJob).AWS_TOKEN!)).toBe(false);
    expect((await verifyWithOpenidClient(tokensOf(otherJob).AWS_TOKEN!, AWS)).sub).toBe(
      'project_path:othergroup/app:ref_type:branch:ref:main',
    );
  });

  it('builds sub from the project’s own components for the next job, after validating them', async () => {
    const put = (components: unknown) =>
      call(instance, 'PUT', `/api/v4/projects/${app.id}`, {
        token: alice.pat,
        body: { ci_id_token_sub_claim_components: components },
      });
    for (const bad of [['project_path', 'colour'], [], ['ref', 'project_path']]) {
      const refused = await put(bad);
      expect(refused.status).toBe(400);
      expect(refused.body.message.ci_id_token_sub_claim_components).toHaveLength(1);
    }
    const accepted = await put(['project_id', 'ref_type', 'ref', 'environment']);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({
      id: app.id,
      ci_id_token_sub_claim_components: ['project_id', 'ref_type', 'ref', 'environment'],
    });

    const run = await call(instance, 'POST', `/api/v4/projects/${app.id}/pipeline?ref=main`, {
      token: alice.pat,
    });
    expect(run.status).toBe(201);
    expect(run.body).toMatchObject({ ref: 'main', source: 'api', status: 'pending' });
    const [job] = await finishedJobs(instance, await latestPipeline(instance, app, run.body.id - 1));
    const claims = await verifyWithOpenidClient(tokensOf(job!).AWS_TOKEN!, AWS);
    expect(claims.sub).toBe(`project_id:${app.id}:ref_type:branch:ref:main:environment:production`);
    // The earlier job's token keeps the sub it was signed with.
    expect((await verifyWithOpenidClient(tokensOf(mainJob).AWS_TOKEN!, AWS)).sub).toBe(
      'project_path:mygroup/app:ref_type:branch:ref:main',
    );
  });

  it('hands legacy CI_JOB_JWT and _V2 only when the project asks for them, and never with id_tokens', async () => {
    const enabled = await call(instance, 'PUT', `/api/v4/projects/${other.id}`, {
      token: alice.pat,
      body: { ci_legacy_job_jwt_enabled: true },
    });
    expect(enabled).toMatchObject({ status: 200, body: { ci_legacy_job_jwt_enabled: true } });
    const legacyJob = `
legacy:
  variables:
    OUT: ${out}
  script:
    - 'for v in ${TOKEN_VARIABLES.join(' ')}; do if [ -n "\${!v:-}" ]; then printf "%s" "\${!v}" > "$OUT/$CI_JOB_ID.$v"; fi; done'
`;
    const { jobs } = await runPush(
      other,
      { '.gitlab-ci.yml': federationConfig(out, legacyJob) },
      'main',
      otherWorkTree,
    );
    const legacy = jobs.find((j) => j.name === 'legacy')!;
    const modern = jobs.find((j) => j.name === 'deploy')!;
    expect(Object.keys(tokensOf(modern)).sort()).toEqual(['AWS_TOKEN', 'VAULT_TOKEN']);
    const tokens = tokensOf(legacy);
    expect(Object.keys(tokens).sort()).toEqual(['CI_JOB_JWT', 'CI_JOB_JWT_V1', 'CI_JOB_JWT_V2']);

    const host = new URL(instance.url).host;
    const v1 = jsonwebtoken.decode(tokens.CI_JOB_JWT!) as jsonwebtoken.JwtPayload;
    expect(v1).toMatchObject({ iss: host, sub: `job_${legacy.id}`, project_path: 'othergroup/app' });
    expect(v1).not.toHaveProperty('aud');
    const v2 = await verifyWithOpenidClient(tokens.CI_JOB_JWT_V2!, instance.url);
    expect(v2).toMatchObject({
      iss: instance.url,
      aud: instance.url,
      sub: 'project_path:othergroup/app:ref_type:branch:ref:main',
    });

    // Without the setting (mygroup/app), a job without id_tokens gets none.
    expect(Object.keys(tokensOf(featureJob))).not.toContain('CI_JOB_JWT');
  });
});
