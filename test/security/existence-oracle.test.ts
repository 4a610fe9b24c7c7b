import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import { routeTableOf } from '../../src/http/route-table.ts';
import type { Namespace, Project } from '../../src/store/schema.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { addMember, createGroup, createProject, createUser } from '../support/world.ts';
import { depsOf, givePat } from '../tokens/token-fixtures.ts';

/*
 * No existence oracle, as a class: on every project and group route of the API (walked from the
 * route table), and in every lookup by id of another project or group (the job-token allowlist), a
 * private project or group the caller cannot see answers exactly like one that does not exist —
 * same status, same body — by numeric id and by full path alike.
 */

describe('hidden answers exactly like missing', () => {
  let instance: TestInstance;
  let outsiderPat: string;
  let hiddenGroup: Namespace;
  let hiddenProject: Project;
  let ownProject: Project;

  beforeAll(async () => {
    instance = await startTestInstance({
      name: 'existence-oracle',
      env: { TESSERA_AUTH_FAILURE_LIMIT: '100000' },
    });
    const { db } = instance.context;
    const owner = await createUser(db, { username: 'keeper' });
    const outsider = await createUser(db, { username: 'prober' });
    hiddenGroup = await createGroup(db, { path: 'vault', visibility: 'private' });
    hiddenProject = await createProject(db, hiddenGroup, { path: 'plans', visibility: 'private' });
    await addMember(db, hiddenGroup, owner, ACCESS_LEVELS.owner);
    const ownGroup = await createGroup(db, { path: 'probe-home', visibility: 'private' });
    ownProject = await createProject(db, ownGroup, { path: 'base', visibility: 'private' });
    await addMember(db, ownGroup, outsider, ACCESS_LEVELS.owner);
    outsiderPat = (await givePat(depsOf(instance), outsider, ['api'])).plaintext;
  });
  afterAll(() => instance.stop());

  async function answer(method: string, path: string, body: Record<string, unknown> = {}): Promise<string> {
    const response = await fetch(`${instance.url}${path}`, {
      method,
      redirect: 'manual',
      headers: { 'private-token': outsiderPat, 'content-type': 'application/json' },
      body: method === 'GET' || method === 'DELETE' ? undefined : JSON.stringify(body),
    });
    return `${response.status} ${await response.text()}`;
  }

  it('on every project and group route, by id and by full path', async () => {
    const routes = routeTableOf(instance.app).filter(
      (route) => /^\/api\/v4\/(projects|groups)\/:id(\/|$)/.test(route.url) && !route.url.includes('*'),
    );
    expect(routes.length).toBeGreaterThan(40);
    const leaks: string[] = [];
    let notFound = 0;
    for (const route of routes) {
      const project = route.url.startsWith('/api/v4/projects/');
      const pairs = project
        ? [
            [String(hiddenProject.id), '999999'],
            [encodeURIComponent(hiddenProject.full_path), encodeURIComponent('vault/no-such-project')],
          ]
        : [
            [String(hiddenGroup.id), '999999'],
            [encodeURIComponent(hiddenGroup.full_path), encodeURIComponent('no-such-group')],
          ];
      for (const [hidden, missing] of pairs) {
        const at = (ref: string) => route.url.replace(':id', ref).replace(/:[A-Za-z_]+/g, '1');
        const [a, b] = [await answer(route.method, at(hidden!)), await answer(route.method, at(missing!))];
        if (a.startsWith('404 ')) notFound += 1;
        if (a !== b)
          leaks.push(
            `${route.method} ${route.url}: hidden → ${a.slice(0, 80)} | missing → ${b.slice(0, 80)}`,
          );
      }
    }
    expect(leaks).toEqual([]);
    // The walk really reached the lookups: most routes answer the prober 404, as for nothing.
    expect(notFound).toBeGreaterThan(routes.length);
    expect(await answer('GET', `/api/v4/projects/${hiddenProject.id}`)).toBe(
      '404 {"message":"404 Project Not Found"}',
    );
  }, 120_000);

  it('when another project or group is named by id (the job-token allowlist)', async () => {
    const base = `/api/v4/projects/${ownProject.id}/job_token_scope`;
    expect(await answer('POST', `${base}/allowlist`, { target_project_id: hiddenProject.id })).toBe(
      await answer('POST', `${base}/allowlist`, { target_project_id: 999_999 }),
    );
    expect(await answer('POST', `${base}/groups_allowlist`, { target_group_id: hiddenGroup.id })).toBe(
      await answer('POST', `${base}/groups_allowlist`, { target_group_id: 999_999 }),
    );
  });
});
