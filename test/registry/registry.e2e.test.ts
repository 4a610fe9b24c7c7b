import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Project, User } from '../../src/store/schema.ts';
import { deployTokenVariables } from '../../src/tokens/deploy/deploy-token-variables.ts';
import type { Clock } from '../../src/util/clock.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { addMember, createGroup, createProject, createUser } from '../support/world.ts';
import { call, depsOf, givePat } from '../tokens/token-fixtures.ts';
import { registryAuth, scopeQuery, tesseraCli } from './registry-fixtures.ts';
import { buildOciImage, pull, push, startRegistry, type RunningRegistry } from './registry-peer.ts';

/** Real time plus an offset a test can move forward (the registry checks token times against real time). */
class OffsetClock implements Clock {
  offsetSeconds = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetSeconds * 1000);
  }
}

describe('the container registry flow with a real docker-registry and skopeo', () => {
  const clock = new OffsetClock();
  const images: string[] = [];
  let instance: TestInstance;
  let registry: RunningRegistry;
  let app: Project;
  let tools: Project;
  let svc: Project;
  let site: Project;
  let admin: User;
  let developerPat: string;
  let reporterPat: string;
  let maintainerPat: string;
  let ownerPat: string;
  let adminPat: string;
  let developerName: string;
  let reporterName: string;

  const image = (tag: string) => {
    const dir = buildOciImage(tag);
    images.push(dir);
    return dir;
  };
  const api = (method: string, path: string, token: string, body?: unknown) =>
    call(instance, method, path, { token, ...(body === undefined ? {} : { body }) });
  const createDeployToken = async (owner: string, token: string, body: Record<string, unknown>) => {
    const response = await api('POST', `${owner}/deploy_tokens`, token, body);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return {
      id: response.body.id as number,
      username: response.body.username as string,
      password: rememberSecret(response.body.token),
    };
  };

  beforeAll(async () => {
    instance = await startTestInstance({
      name: 'registry-e2e',
      clock,
      env: { TESSERA_AUTH_FAILURE_LIMIT: '1000' },
    });
    const { db } = instance.context;
    const acme = await createGroup(db, { path: 'acme', visibility: 'internal' });
    const team = await createGroup(db, { path: 'team', parent: acme, visibility: 'internal' });
    const opensrc = await createGroup(db, { path: 'opensrc', visibility: 'public' });
    app = await createProject(db, acme, { path: 'app', visibility: 'private' });
    tools = await createProject(db, acme, { path: 'tools', visibility: 'internal' });
    svc = await createProject(db, team, { path: 'svc', visibility: 'private' });
    site = await createProject(db, opensrc, { path: 'site', visibility: 'public' });
    const [developer, reporter, maintainer, owner] = await Promise.all(
      [1, 2, 3, 4].map(() => createUser(db)),
    );
    admin = await createUser(db, { is_admin: 1 });
    for (const project of [app, svc, site]) await addMember(db, project, developer!, ACCESS_LEVELS.developer);
    await addMember(db, app, reporter!, ACCESS_LEVELS.reporter);
    await addMember(db, app, maintainer!, ACCESS_LEVELS.maintainer);
    await addMember(db, acme, owner!, ACCESS_LEVELS.owner);
    const deps = depsOf(instance);
    developerPat = (await givePat(deps, developer!, ['read_registry', 'write_registry'])).plaintext;
    reporterPat = (await givePat(deps, reporter!, ['api'])).plaintext;
    maintainerPat = (await givePat(deps, maintainer!, ['api'])).plaintext;
    ownerPat = (await givePat(deps, owner!, ['api'])).plaintext;
    adminPat = (await givePat(deps, admin, ['api'])).plaintext;
    developerName = developer!.username;
    reporterName = reporter!.username;

    const cert = tesseraCli(instance, ['registry', 'cert']);
    expect(cert.status, cert.stderr).toBe(0);
    registry = await startRegistry({
      realm: `${instance.url}/jwt/auth`,
      bundle: cert.stdout,
      name: 'registry-e2e',
    });
    // Every project's image, pushed by the developer (who is a developer on each of them).
    for (const [project, tag] of [
      [app, 'v1'],
      [svc, 'v1'],
      [site, 'v1'],
    ] as const) {
      const pushed = await push(registry, image(tag), tag, project.full_path, {
        username: developerName,
        password: developerPat,
      });
      expect(pushed.ok, pushed.stderr).toBe(true);
    }
  });

  afterAll(async () => {
    await registry?.stop();
    await instance?.stop();
    for (const dir of images) rmSync(dir, { recursive: true, force: true });
  });

  it("a developer's PAT pushes; a reporter's PAT pulls but cannot push; a wrong secret is rejected", async () => {
    const reporter = { username: reporterName, password: reporterPat };
    expect((await pull(registry, 'acme/app', 'v1', reporter)).ok).toBe(true);
    const denied = await push(registry, image('v2'), 'v2', 'acme/app', reporter);
    expect(denied.ok).toBe(false);
    expect(denied.stderr).toMatch(/denied|unauthorized|authentication required/i);
    const wrong = await pull(registry, 'acme/app', 'v1', {
      username: developerName,
      password: `${developerPat}x`,
    });
    expect(wrong.ok).toBe(false);
    expect(wrong.stderr).toMatch(/unauthorized|401/i);
    const again = await push(registry, image('v2'), 'v2', 'acme/app', {
      username: developerName,
      password: developerPat,
    });
    expect(again.ok, again.stderr).toBe(true);
  });

  it("pulls a public project's image anonymously, and not a private one's", async () => {
    expect((await pull(registry, 'opensrc/site', 'v1', null)).ok).toBe(true);
    expect((await pull(registry, 'acme/app', 'v1', null)).ok).toBe(false);
    expect((await push(registry, image('anon'), 'anon', 'opensrc/site', null)).ok).toBe(false);
  });

  it('Auto DevOps at instance level provisions gitlab-deploy-token for private and internal projects; off for a project revokes it', async () => {
    const on = await api('PUT', '/api/v4/application/settings', adminPat, { auto_devops_enabled: true });
    expect([on.status, on.body]).toEqual([
      200,
      { auto_devops_enabled: true, allow_runner_registration_token: false },
    ]);
    const namesOf = async (project: Project) =>
      (await api('GET', `/api/v4/projects/${project.id}/deploy_tokens?active=true`, adminPat)).body.map(
        (t: { name: string }) => t.name,
      );
    expect(await namesOf(app)).toContain('gitlab-deploy-token');
    expect(await namesOf(tools)).toContain('gitlab-deploy-token');
    expect(await namesOf(site)).not.toContain('gitlab-deploy-token');

    const variables = Object.fromEntries(
      (await deployTokenVariables(instance.context, app, { environment: 'production' })).map((v) => [
        v.key,
        v.value,
      ]),
    );
    rememberSecret(variables.CI_DEPLOY_PASSWORD!);
    const deployCreds = { username: variables.CI_DEPLOY_USER!, password: variables.CI_DEPLOY_PASSWORD! };
    expect((await pull(registry, 'acme/app', 'v1', deployCreds)).ok).toBe(true);
    // read_registry only: the cluster's credential cannot push.
    expect((await push(registry, image('v3'), 'v3', 'acme/app', deployCreds)).ok).toBe(false);

    const off = await api('PUT', `/api/v4/projects/${encodeURIComponent('acme/app')}`, maintainerPat, {
      auto_devops_enabled: false,
    });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ id: app.id, auto_devops_enabled: false, auto_devops_override: false });
    expect(await namesOf(app)).not.toContain('gitlab-deploy-token');
    expect((await pull(registry, 'acme/app', 'v1', deployCreds)).ok).toBe(false);
    // The instance setting still applies to the internal project.
    expect(await namesOf(tools)).toContain('gitlab-deploy-token');
    await api('PUT', '/api/v4/application/settings', adminPat, { auto_devops_enabled: false });
    expect(await namesOf(tools)).not.toContain('gitlab-deploy-token');
  });

  it('after a rotation both secrets pull; once the grace period is over only the new one does', async () => {
    const settings = await api('PUT', `/api/v4/projects/${app.id}`, maintainerPat, {
      deploy_token_grace_period: 30,
    });
    expect(settings.body.deploy_token_grace_period).toBe(30);
    const token = await createDeployToken(`/api/v4/projects/${app.id}`, maintainerPat, {
      name: 'production cluster',
      scopes: ['read_registry'],
    });
    const rotated = await api(
      'POST',
      `/api/v4/projects/${app.id}/deploy_tokens/${token.id}/rotate`,
      maintainerPat,
    );
    expect(rotated.status).toBe(200);
    const newPassword = rememberSecret(rotated.body.token);
    expect(rotated.body).toMatchObject({ id: token.id, username: token.username, revoked: false });
    expect(Date.parse(rotated.body.previous_token_expires_at) - clock.now().getTime()).toBeGreaterThan(
      25_000,
    );
    const old = { username: token.username, password: token.password };
    const fresh = { username: token.username, password: newPassword };
    expect((await pull(registry, 'acme/app', 'v1', old)).ok).toBe(true);
    expect((await pull(registry, 'acme/app', 'v1', fresh)).ok).toBe(true);

    clock.offsetSeconds += 31;
    try {
      expect((await registryAuth(instance, scopeQuery('repository:acme/app:pull'), old)).status).toBe(401);
      expect((await pull(registry, 'acme/app', 'v1', old)).ok).toBe(false);
      expect((await pull(registry, 'acme/app', 'v1', fresh)).ok).toBe(true);
    } finally {
      clock.offsetSeconds -= 31;
    }
  });

  it('a group deploy token pulls from a project in a subgroup; expired and revoked tokens are rejected; read-only cannot push', async () => {
    const groupToken = await createDeployToken('/api/v4/groups/acme', ownerPat, {
      name: 'fleet',
      scopes: ['read_registry'],
    });
    expect((await pull(registry, 'acme/team/svc', 'v1', groupToken)).ok).toBe(true);
    expect((await pull(registry, 'opensrc/site', 'v1', groupToken)).ok).toBe(true);
    expect((await push(registry, image('fleet'), 'fleet', 'acme/team/svc', groupToken)).ok).toBe(false);

    const writer = await createDeployToken(`/api/v4/projects/${app.id}`, maintainerPat, {
      name: 'ci pusher',
      scopes: ['read_registry', 'write_registry'],
    });
    const pushed = await push(registry, image('v4'), 'v4', 'acme/app', writer);
    expect(pushed.ok, pushed.stderr).toBe(true);

    const expiring = await createDeployToken(`/api/v4/projects/${app.id}`, maintainerPat, {
      name: 'short',
      scopes: ['read_registry'],
      expires_at: new Date(clock.now().getTime() + 3600_000).toISOString(),
    });
    expect((await pull(registry, 'acme/app', 'v1', expiring)).ok).toBe(true);
    clock.offsetSeconds += 7200;
    try {
      expect((await registryAuth(instance, scopeQuery('repository:acme/app:pull'), expiring)).status).toBe(
        401,
      );
      expect((await pull(registry, 'acme/app', 'v1', expiring)).ok).toBe(false);
    } finally {
      clock.offsetSeconds -= 7200;
    }

    const revoked = await api('DELETE', `/api/v4/groups/acme/deploy_tokens/${groupToken.id}`, ownerPat);
    expect(revoked.status).toBe(204);
    expect((await pull(registry, 'acme/team/svc', 'v1', groupToken)).ok).toBe(false);
  });
});
