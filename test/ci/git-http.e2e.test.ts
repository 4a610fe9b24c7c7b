import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Project } from '../../src/store/schema.ts';
import { deployTokenDeps } from '../../src/tokens/deploy/deploy-token-deps.ts';
import { createDeployToken } from '../../src/tokens/deploy/deploy-token.service.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { addMember, createGroup, createProject } from '../support/world.ts';
import { depsOf, givePat } from '../tokens/token-fixtures.ts';
import {
  call,
  cloneUrl,
  git,
  newestPipelineId,
  personWithPat,
  projectOf,
  pushFiles,
  startCiInstance,
  type CiActor,
} from './ci-world.ts';

describe('git over HTTP', () => {
  let instance: TestInstance;
  let alice: CiActor;
  let dev: CiActor;
  let secret: Project;
  let site: Project;
  let work: string;

  const lsRemote = (url: string) => git(['ls-remote', url]);
  const anonymous = (project: Project) => `${instance.url}/${project.full_path}.git`;

  async function pushBranch(actor: CiActor, project: Project, branch: string) {
    await git(['checkout', '--quiet', '-B', branch], work);
    await git(['commit', '--quiet', '--allow-empty', '-m', `to ${branch}`], work);
    return git(
      [
        'push',
        '--quiet',
        cloneUrl(instance, project, actor.user.username, actor.pat),
        `HEAD:refs/heads/${branch}`,
      ],
      work,
    );
  }

  beforeAll(async () => {
    instance = await startCiInstance('ci-git-http');
    alice = await personWithPat(instance);
    dev = await personWithPat(instance);
    secret = await projectOf(instance, alice.user, { path: 'secret' });
    await addMember(instance.context.db, secret, dev.user, ACCESS_LEVELS.developer);
    const open = await createGroup(instance.context.db, { path: 'open', visibility: 'public' });
    site = await createProject(instance.context.db, open, {
      path: 'site',
      visibility: 'public',
      creator: alice.user,
    });
    await addMember(instance.context.db, site, alice.user, ACCESS_LEVELS.maintainer);
    work = (await pushFiles(instance, secret, alice, { 'README.md': 'secret\n' })).workTree;
    await pushFiles(instance, site, alice, { 'index.html': '<p>hi</p>\n' });
  });
  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    await instance.stop();
  });

  it('lets anyone clone a public project, and nobody anonymous push to it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-clone-'));
    try {
      const clone = await git(['clone', '--quiet', anonymous(site), join(dir, 'site')]);
      expect(clone).toMatchObject({ code: 0 });
      const log = await git(['log', '--format=%s'], join(dir, 'site'));
      expect(log.stdout.trim()).toBe('commit on main');
      await git(['commit', '--quiet', '--allow-empty', '-m', 'anon'], join(dir, 'site'));
      const push = await git(['push', '--quiet', 'origin', 'HEAD:refs/heads/anon'], join(dir, 'site'));
      expect(push.code).not.toBe(0);
      expect(push.stderr).toMatch(/could not read Username|Authentication failed|401/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('challenges an anonymous request for a private project with 401 Basic', async () => {
    const response = await fetch(`${anonymous(secret)}/info/refs?service=git-upload-pack`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="Tessera"');
    expect(await response.json()).toEqual({ message: '401 Unauthorized' });
  });

  it('refuses wrong credentials, unknown projects and hidden ones', async () => {
    expect(
      (await lsRemote(cloneUrl(instance, secret, alice.user.username, 'glpat-wrongwrongwrongwrong'))).stderr,
    ).toMatch(/Authentication failed/);
    const outsider = await personWithPat(instance);
    const hidden = await fetch(`${anonymous(secret)}/info/refs?service=git-upload-pack`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${outsider.user.username}:${outsider.pat}`).toString('base64')}`,
      },
    });
    expect(hidden.status).toBe(404);
    expect(
      (
        await lsRemote(
          cloneUrl(instance, { ...secret, full_path: 'nobody/nothing' }, alice.user.username, alice.pat),
        )
      ).code,
    ).not.toBe(0);
  });

  it('needs read_repository (or api) to clone with a PAT', async () => {
    const readOnly = rememberSecret((await givePat(depsOf(instance), alice.user, ['read_user'])).plaintext);
    const refused = await fetch(`${anonymous(secret)}/info/refs?service=git-upload-pack`, {
      headers: { authorization: `Basic ${Buffer.from(`x:${readOnly}`).toString('base64')}` },
    });
    expect(refused.status).toBe(403);
    const reader = rememberSecret(
      (await givePat(depsOf(instance), alice.user, ['read_repository'])).plaintext,
    );
    expect((await lsRemote(cloneUrl(instance, secret, 'anything', reader))).code).toBe(0);
  });

  it('keeps the default branch for maintainers, other branches open to developers', async () => {
    const toMain = await pushBranch(dev, secret, 'main');
    expect(toMain.code).not.toBe(0);
    expect(toMain.stderr).toMatch(/403/);
    expect((await pushBranch(dev, secret, 'dev-work')).code).toBe(0);
    expect((await pushBranch(alice, secret, 'main')).code).toBe(0);
  });

  it('starts no pipeline for a push without .gitlab-ci.yml', async () => {
    expect(await newestPipelineId(instance, secret)).toBe(0);
  });

  it('lets a deploy token with read_repository clone its project only', async () => {
    const issued = await createDeployToken(
      deployTokenDeps(instance.context),
      { userId: alice.user.id, name: alice.user.username, ip: null },
      alice.user,
      { kind: 'project', project: secret },
      { name: 'clone', scopes: ['read_repository'] },
    );
    rememberSecret(issued.plaintext);
    expect((await lsRemote(cloneUrl(instance, secret, issued.token.username, issued.plaintext))).code).toBe(
      0,
    );
    const other = await projectOf(instance, alice.user, { path: 'other' });
    await pushFiles(instance, other, alice, { 'a.txt': 'a' });
    expect(
      (await lsRemote(cloneUrl(instance, other, issued.token.username, issued.plaintext))).code,
    ).not.toBe(0);
  });

  it('answers the API for pipelines of a project the caller cannot see with 404', async () => {
    const outsider = await personWithPat(instance);
    expect(
      await call(instance, 'GET', `/api/v4/projects/${secret.id}/pipelines`, { token: outsider.pat }),
    ).toMatchObject({
      status: 404,
      body: { message: '404 Project Not Found' },
    });
  });
});
