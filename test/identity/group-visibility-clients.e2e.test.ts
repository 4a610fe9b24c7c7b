import { Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Namespace } from '../../src/store/schema.ts';
import { gitbeakerStatus, runPythonFixture } from '../support/gitlab-clients.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { addMember, createGroup, createProject, createUser } from '../support/world.ts';
import { depsOf, givePat } from '../tokens/token-fixtures.ts';

const SCRIPT = 'test/identity/fixtures/python_gitlab_group_visibility.py';

/*
 * As on GitLab, a member of a project below a private group sees the group (and nothing more
 * there), while someone with no membership below it is told it does not exist.
 */
describe('a private group seen from a project below it, through the real clients', () => {
  let instance: TestInstance;
  let group: Namespace;
  let belowPat: string;
  let outsiderPat: string;

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'group-visibility-clients' });
    const db = instance.context.db;
    group = await createGroup(db, { path: 'hidden-parent', visibility: 'private' });
    const project = await createProject(db, group, { path: 'inside' });
    const below = await createUser(db, { username: 'member-below' });
    await addMember(db, project, below, ACCESS_LEVELS.developer);
    belowPat = (await givePat(depsOf(instance), below, ['api'])).plaintext;
    outsiderPat = (await givePat(depsOf(instance), await createUser(db), ['api'])).plaintext;
  });
  afterAll(async () => instance?.stop());

  it('python-gitlab: groups.get and groups.list show it from below, its variables are 403; an outsider gets 404', async () => {
    const run = await runPythonFixture(SCRIPT, [instance.url, belowPat, outsiderPat, String(group.id)]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.result).toEqual({
      below_sees: 'hidden-parent',
      below_lists: ['hidden-parent'],
      outsider_lists: [],
      below_variables: 403,
      outsider_sees: 404,
    });
  });

  it('gitbeaker: Groups.show and Groups.all show it from below, GroupVariables.all is 403; an outsider gets 404', async () => {
    const below = new Gitlab({ host: instance.url, token: belowPat });
    const shown = await below.Groups.show(group.id);
    expect(shown.full_path).toBe('hidden-parent');
    expect((await below.Groups.all()).map((g) => g.full_path)).toEqual(['hidden-parent']);
    expect(await gitbeakerStatus(below.GroupVariables.all(group.id))).toBe(403);
    const outsider = new Gitlab({ host: instance.url, token: outsiderPat });
    expect(await gitbeakerStatus(outsider.Groups.show(group.id))).toBe(404);
    expect(await outsider.Groups.all()).toEqual([]);
  });
});
