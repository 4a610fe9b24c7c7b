import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src/store/ci-schema.ts';
import type { Project } from '../../src/store/schema.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import {
  call,
  finishedJobs,
  latestPipeline,
  personWithPat,
  projectOf,
  pushFiles,
  registerRunner,
  startCiInstance,
  startRunner,
  type CiActor,
} from '../ci/ci-world.ts';
import { registryAuth, scopeQuery, tesseraCli } from './registry-fixtures.ts';
import { buildOciImage, pull, push, startRegistry, type RunningRegistry } from './registry-peer.ts';

/**
 * Seed 004's scenario end to end, with the real runner, registry and skopeo: a deploy job pulls the
 * private project's image with its CI_JOB_TOKEN while it runs; once the job is over that token is
 * refused, and the CI_DEPLOY_USER / CI_DEPLOY_PASSWORD the job was given keep pulling.
 */
describe('a deploy job pulls with its job token; afterwards only CI_DEPLOY_* still pull', () => {
  let instance: TestInstance;
  let registry: RunningRegistry;
  let runner: { stop(): Promise<void> };
  let alice: CiActor;
  let project: Project;
  let out: string;
  let image: string;
  let job: Job;

  const written = (name: string) => readFileSync(join(out, name), 'utf8');

  beforeAll(async () => {
    instance = await startCiInstance('registry-seed');
    const admin = await personWithPat(instance, { is_admin: 1 });
    alice = await personWithPat(instance);
    project = await projectOf(instance, alice.user, {
      groupPath: 'shop',
      path: 'checkout',
      visibility: 'private',
    });
    const cert = tesseraCli(instance, ['registry', 'cert']);
    expect(cert.status, cert.stderr).toBe(0);
    registry = await startRegistry({
      realm: `${instance.url}/jwt/auth`,
      bundle: cert.stdout,
      name: 'registry-seed',
    });
    image = buildOciImage('v1');
    const pushed = await push(registry, image, 'v1', project.full_path, {
      username: alice.user.username,
      password: alice.pat,
    });
    expect(pushed.ok, pushed.stderr).toBe(true);
    const autoDevOps = await call(instance, 'PUT', `/api/v4/projects/${project.id}`, {
      token: alice.pat,
      body: { auto_devops_enabled: true },
    });
    expect(autoDevOps.status).toBe(200);

    out = mkdtempSync(join(tmpdir(), 'tessera-seed-job-'));
    runner = startRunner(instance, (await registerRunner(instance, admin.pat)).token, 'registry-seed-runner');
    const config = `
deploy:
  environment:
    name: production
  variables:
    OUT: ${out}
    IMAGE: ${registry.host}/${project.full_path}:v1
  script:
    - 'printf "%s" "$CI_JOB_TOKEN" > "$OUT/job-token"'
    - 'printf "%s" "$CI_DEPLOY_USER" > "$OUT/deploy-user"'
    - 'printf "%s" "$CI_DEPLOY_PASSWORD" > "$OUT/deploy-password"'
    - 'HOME="$OUT" skopeo --insecure-policy inspect --tls-verify=false --creds "gitlab-ci-token:$CI_JOB_TOKEN" "docker://$IMAGE" > "$OUT/inspect.json"'
`;
    await pushFiles(instance, project, alice, { '.gitlab-ci.yml': config });
    const pipeline = await latestPipeline(instance, project);
    expect(pipeline.yaml_errors).toBeNull();
    [job] = await finishedJobs(instance, pipeline, 60_000);
  }, 120_000);

  afterAll(async () => {
    await runner?.stop();
    await registry?.stop();
    await instance?.stop();
    for (const dir of [out, image]) if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('pulled with CI_JOB_TOKEN while the job ran', () => {
    expect(job!.status).toBe('success');
    expect(existsSync(join(out, 'inspect.json'))).toBe(true);
    expect(JSON.parse(written('inspect.json'))).toMatchObject({
      Name: `${registry.host}/${project.full_path}`,
    });
  });

  it('refuses that job token once the job is over, while CI_DEPLOY_USER / CI_DEPLOY_PASSWORD keep pulling', async () => {
    const jobToken = { username: 'gitlab-ci-token', password: rememberSecret(written('job-token')) };
    const deploy = { username: written('deploy-user'), password: rememberSecret(written('deploy-password')) };
    expect(deploy.username).toMatch(/^gitlab\+deploy-token-\d+$/);
    expect(
      (await registryAuth(instance, scopeQuery(`repository:${project.full_path}:pull`), jobToken)).status,
    ).toBe(401);
    expect((await pull(registry, project.full_path, 'v1', jobToken)).ok).toBe(false);
    const pulled = await pull(registry, project.full_path, 'v1', deploy);
    expect(pulled.ok, pulled.stderr).toBe(true);
  });
});
