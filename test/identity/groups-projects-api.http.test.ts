import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiWorld, type ApiWorld, type Json } from './api-world.ts';
import { createUserWithPassword } from './identity-fixtures.ts';
import { signInOverHttp } from './http-session.ts';

describe('the groups, projects and members API over HTTP', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await startApiWorld('groups-projects-api');
  });
  afterAll(async () => w.instance.stop());

  describe('groups', () => {
    it('POST /groups creates a group and a subgroup by parent_id', async () => {
      const top = await w.send(w.asAlice, 'POST', '/groups', {
        name: 'Infra Team',
        path: 'infra',
        visibility: 'internal',
      });
      expect(top.status).toBe(201);
      const group = (await top.json()) as Json;
      expect(group).toMatchObject({
        name: 'Infra Team',
        path: 'infra',
        full_path: 'infra',
        full_name: 'Infra Team',
        visibility: 'internal',
        parent_id: null,
        web_url: `${w.instance.settings.externalUrl}/groups/infra`,
      });
      const sub = await w.send(w.asAlice, 'POST', '/groups', {
        name: 'Net',
        path: 'net',
        parent_id: group.id,
      });
      expect(sub.status).toBe(201);
      expect(await sub.json()).toMatchObject({
        full_path: 'infra/net',
        full_name: 'Infra Team / Net',
        parent_id: group.id,
      });
    });

    it('GET /groups/:id takes an id or an encoded full path, and hides private groups from outsiders', async () => {
      expect(await (await w.get(w.asAlice, '/groups/infra%2Fnet')).json()).toMatchObject({
        full_path: 'infra/net',
      });
      expect(await (await w.get(w.asAlice, `/groups/${w.platform.id}`)).json()).toMatchObject({
        full_path: 'platform',
      });
      const hidden = await w.get(w.asBob, '/groups/platform');
      expect(hidden.status).toBe(404);
      expect(await hidden.json()).toEqual({ message: '404 Group Not Found' });
    });

    it('GET /groups lists what the caller may see', async () => {
      const forBob = ((await (await w.get(w.asBob, '/groups')).json()) as Json[]).map((g) => g.full_path);
      expect(forBob).toEqual(['open', 'infra']);
      const anonymous = await fetch(`${w.api}/groups`);
      expect(((await anonymous.json()) as Json[]).map((g) => g.full_path)).toEqual(['open']);
      const owned = ((await (await w.get(w.asAlice, '/groups?owned=true')).json()) as Json[]).map(
        (g) => g.full_path,
      );
      expect(owned).toEqual(['platform', 'infra', 'infra/net']);
    });
  });

  describe('projects', () => {
    it('POST /projects creates a project in a group with GitLab’s fields', async () => {
      const response = await w.send(w.asAlice, 'POST', '/projects', {
        name: 'API',
        path: 'api',
        namespace_id: w.platform.id,
      });
      expect(response.status).toBe(201);
      const base = w.instance.settings.externalUrl;
      expect(await response.json()).toMatchObject({
        name: 'API',
        path: 'api',
        path_with_namespace: 'platform/api',
        name_with_namespace: 'platform / API',
        visibility: 'private',
        default_branch: 'main',
        web_url: `${base}/platform/api`,
        http_url_to_repo: `${base}/platform/api.git`,
        namespace: {
          id: w.platform.id,
          name: 'platform',
          path: 'platform',
          kind: 'group',
          full_path: 'platform',
        },
      });
    });

    it('POST /projects without a namespace creates it in the caller’s own', async () => {
      const response = await w.send(w.asBob, 'POST', '/projects', { name: 'Dotfiles' });
      expect(response.status).toBe(201);
      expect(await response.json()).toMatchObject({
        path_with_namespace: 'bob/dotfiles',
        namespace: { kind: 'user', full_path: 'bob' },
      });
    });

    it('GET /projects/:id takes an id or an encoded path; a hidden project is a 404 for outsiders and anonymous', async () => {
      expect(await (await w.get(w.asAlice, '/projects/platform%2Fsecret')).json()).toMatchObject({
        id: w.secret.id,
      });
      for (const response of [
        await w.get(w.asBob, `/projects/${w.secret.id}`),
        await fetch(`${w.api}/projects/platform%2Fsecret`),
      ]) {
        expect(response.status).toBe(404);
        expect(await response.json()).toEqual({ message: '404 Project Not Found' });
      }
      const publicOne = await fetch(`${w.api}/projects/open%2Fsite`);
      expect(publicOne.status).toBe(200);
      expect(await publicOne.json()).toMatchObject({ id: w.site.id, visibility: 'public' });
    });

    it('GET /projects lists what the caller may see; membership=true only their own', async () => {
      const paths = async (response: Response) =>
        ((await response.json()) as Json[]).map((p) => p.path_with_namespace);
      expect(await paths(await w.get(w.asBob, '/projects'))).toEqual(['bob/dotfiles', 'open/site']);
      expect(await paths(await w.get(w.asAlice, '/projects?membership=true'))).toEqual([
        'platform/api',
        'platform/secret',
      ]);
      expect(await paths(await w.get(w.asAlice, '/projects?search=secr'))).toEqual(['platform/secret']);
      expect(await paths(await fetch(`${w.api}/projects`))).toEqual(['open/site']);
    });
  });

  describe('members', () => {
    it('a project owner adds, changes and removes a member; the member then sees the project, then no longer', async () => {
      const added = await w.send(w.asAlice, 'POST', `/projects/${w.secret.id}/members`, {
        user_id: w.bob.id,
        access_level: 30,
      });
      expect(added.status).toBe(201);
      expect(await added.json()).toMatchObject({
        id: w.bob.id,
        username: 'bob',
        state: 'active',
        access_level: 30,
        expires_at: null,
      });
      expect((await w.get(w.asBob, `/projects/${w.secret.id}`)).status).toBe(200);

      const changed = await w.send(w.asAlice, 'PUT', `/projects/${w.secret.id}/members/${w.bob.id}`, {
        access_level: 40,
      });
      expect(changed.status).toBe(200);
      expect(await changed.json()).toMatchObject({ id: w.bob.id, access_level: 40 });

      const direct = (await (await w.get(w.asBob, `/projects/${w.secret.id}/members`)).json()) as Json[];
      expect(direct.map((m) => [m.username, m.access_level])).toEqual([['bob', 40]]);
      const all = (await (await w.get(w.asBob, `/projects/${w.secret.id}/members/all`)).json()) as Json[];
      expect(all.map((m) => [m.username, m.access_level])).toEqual([
        ['alice', 50],
        ['bob', 40],
      ]);

      const removed = await w.send(w.asAlice, 'DELETE', `/projects/${w.secret.id}/members/${w.bob.id}`);
      expect(removed.status).toBe(204);
      expect((await w.get(w.asBob, `/projects/${w.secret.id}`)).status).toBe(404);
    });

    it('a maintainer cannot make an owner, and an outsider cannot even find the project', async () => {
      await w.send(w.asAlice, 'POST', `/projects/${w.secret.id}/members`, {
        user_id: w.bob.id,
        access_level: 40,
      });
      const refused = await w.send(w.asBob, 'POST', `/projects/${w.secret.id}/members`, {
        user_id: w.root.id,
        access_level: 50,
      });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toEqual({ message: '403 Forbidden' });
      const { password } = await createUserWithPassword(w.instance.context.db, { username: 'eve' });
      const asEve = await signInOverHttp(w.instance.url, 'eve', password);
      const hidden = await w.send(asEve, 'POST', `/projects/${w.secret.id}/members`, {
        user_id: w.bob.id,
        access_level: 10,
      });
      expect(hidden.status).toBe(404);
      expect(await hidden.json()).toEqual({ message: '404 Project Not Found' });
    });

    it('group members are managed the same way, and a bad level names access_level', async () => {
      const added = await w.send(w.asAlice, 'POST', `/groups/platform/members`, {
        user_id: w.root.id,
        access_level: 20,
      });
      expect(added.status).toBe(201);
      expect(await added.json()).toMatchObject({ username: 'root', access_level: 20 });
      const bad = await w.send(w.asAlice, 'PUT', `/groups/platform/members/${w.root.id}`, {
        access_level: 45,
      });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({
        message: { access_level: ['does not have a valid value'] },
        error: 'access_level does not have a valid value',
      });
      const duplicate = await w.send(w.asAlice, 'POST', `/groups/platform/members`, {
        user_id: w.root.id,
        access_level: 20,
      });
      expect(duplicate.status).toBe(409);
      expect(await duplicate.json()).toEqual({ message: 'Member already exists' });
      expect((await w.send(w.asAlice, 'DELETE', `/groups/platform/members/${w.root.id}`)).status).toBe(204);
    });
  });
});
