import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Namespace, User } from '../../src/store/schema.ts';
import { git } from '../ci/ci-world.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { addMember, createGroup, createUser } from '../support/world.ts';
import { depsOf, givePat } from '../tokens/token-fixtures.ts';
import { runPythonFixture } from '../support/gitlab-clients.ts';

const SCRIPT = 'test/projects/fixtures/python_gitlab_projects.py';

describe('creating and changing projects through python-gitlab and gitbeaker', () => {
  let instance: TestInstance;
  let owner: User;
  let maintainer: User;
  let group: Namespace;
  let ownerPat: string;
  let maintainerPat: string;
  let work: string;

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'project-settings' });
    const { db } = instance.context;
    owner = await createUser(db, { username: 'olga', name: 'Olga Owner' });
    maintainer = await createUser(db, { username: 'max' });
    group = await createGroup(db, { path: 'open-source', visibility: 'public' });
    await addMember(db, group, owner, ACCESS_LEVELS.owner);
    await addMember(db, group, maintainer, ACCESS_LEVELS.maintainer);
    ownerPat = (await givePat(depsOf(instance), owner, ['api'])).plaintext;
    maintainerPat = (await givePat(depsOf(instance), maintainer, ['api'])).plaintext;
    work = mkdtempSync(join(tmpdir(), 'tessera-readme-'));
  });
  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    await instance.stop();
  });

  it('python-gitlab: initialize_with_readme makes a first commit; visibility saved really changes', async () => {
    const run = await runPythonFixture(SCRIPT, [instance.url, ownerPat, String(group.id)]);
    expect(run.code, run.stderr).toBe(0);
    const out = run.result;
    expect(out.created).toMatchObject({ visibility: 'private', default_branch: 'main' });
    expect(out.after_save).toBe('public');
    expect(out.anonymous_sees).toBe('open-source/readme-first');

    // Public now: anyone clones it, and finds the README on main, by the person who made the project.
    const clone = await git([
      'clone',
      '--quiet',
      `${instance.url}/open-source/readme-first.git`,
      join(work, 'r'),
    ]);
    expect(clone.code, clone.stderr).toBe(0);
    expect(readFileSync(join(work, 'r', 'README.md'), 'utf8')).toBe('# Readme First\n');
    const log = await git(['log', '--format=%an %s'], join(work, 'r'));
    expect(log.stdout.trim()).toBe('Olga Owner Initial commit');
  });

  it('gitbeaker: initializeWithReadme makes a first commit on the default branch', async () => {
    const api = new Gitlab({ host: instance.url, token: ownerPat });
    const project = await api.Projects.create({
      name: 'Beaker Readme',
      namespaceId: group.id,
      initializeWithReadme: true,
    });
    expect(project.default_branch).toBe('main');
    const main = await api.Branches.show(project.id, 'main');
    expect(main.commit).toMatchObject({ title: 'Initial commit', author_name: 'Olga Owner' });
  });

  it('gitbeaker: visibility drives the Auto DevOps deploy token; only an owner changes it; bad input changes nothing', async () => {
    const api = new Gitlab({ host: instance.url, token: ownerPat });
    const project = await api.Projects.create({ name: 'svc', namespaceId: group.id, visibility: 'private' });
    const deployTokens = async () =>
      (await api.DeployTokens.all({ projectId: project.id, active: true })).filter(
        (token) => token.name === 'gitlab-deploy-token' && !(token as { revoked?: boolean }).revoked,
      );

    await api.Projects.edit(project.id, { autoDevopsEnabled: true });
    expect(await deployTokens()).toHaveLength(1);
    // Public: the registry is pulled anonymously, so the token is revoked; private again: a new one.
    expect((await api.Projects.edit(project.id, { visibility: 'public' })).visibility).toBe('public');
    expect(await deployTokens()).toHaveLength(0);
    await api.Projects.edit(project.id, { visibility: 'private' });
    expect(await deployTokens()).toHaveLength(1);

    const asMaintainer = new Gitlab({ host: instance.url, token: maintainerPat });
    const refused = await asMaintainer.Projects.edit(project.id, { visibility: 'public' }).catch(
      (error: { cause?: { response?: Response } }) => error.cause?.response?.status,
    );
    expect(refused).toBe(403);
    // A bad field anywhere in the request changes nothing, the valid ones included.
    const bad = await api.Projects.edit(project.id, { visibility: 'public', buildTimeout: 1 }).catch(
      (error: { cause?: { response?: Response } }) => error.cause?.response?.status,
    );
    expect(bad).toBe(400);
    expect((await api.Projects.show(project.id)).visibility).toBe('private');
    const events = await instance.context.db
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'project.visibility_changed')
      .where('entity_id', '=', String(project.id))
      .execute();
    expect(events.map((event) => JSON.parse(event.details).to)).toEqual(['public', 'private']);
  });
});
