import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Project } from '../../src/store/schema.ts';
import { signInOverHttp, type BrowserSession } from '../identity/http-session.ts';
import { createUserWithPassword } from '../identity/identity-fixtures.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { addMember, createGroup, createProject } from '../support/world.ts';

/** The project, Cloud Connector and playground pages over plain HTTP: routing, refusals, headers. */
describe('project and AI pages over plain HTTP', () => {
  let instance: TestInstance;
  let nested: Project;
  let asAlice: BrowserSession;
  let asBob: BrowserSession;
  const get = (path: string, session?: BrowserSession) =>
    fetch(`${instance.url}${path}`, {
      redirect: 'manual',
      headers: session ? { cookie: session.cookie } : {},
    });

  beforeAll(async () => {
    instance = await startTestInstance({
      name: 'web-project-pages',
      env: { TESSERA_AI_GATEWAY_URL: 'http://127.0.0.1:1/gateway' },
    });
    const db = instance.context.db;
    const alice = await createUserWithPassword(db, { username: 'alice' });
    const bob = await createUserWithPassword(db, { username: 'bob' });
    const top = await createGroup(db, { path: 'top' });
    const sub = await createGroup(db, { path: 'sub', parent: top });
    nested = await createProject(db, sub, { path: 'deep' });
    await addMember(db, nested, alice.user, ACCESS_LEVELS.maintainer);
    asAlice = await signInOverHttp(instance.url, 'alice', alice.password);
    asBob = await signInOverHttp(instance.url, 'bob', bob.password);
  });
  afterAll(async () => instance.stop());

  it('serves project pages under a nested namespace', async () => {
    for (const suffix of ['pipelines', 'settings/repository', 'settings/ci_cd']) {
      const response = await get(`/top/sub/deep/-/${suffix}`, asAlice);
      expect(response.status, suffix).toBe(200);
      expect(await response.text()).toContain('<code>top/sub/deep</code>');
    }
  });

  it('sends a signed-out visitor to sign in, and hides projects from those who may not see them', async () => {
    const signedOut = await get('/top/sub/deep/-/settings/ci_cd');
    expect(signedOut.status).toBe(302);
    expect(signedOut.headers.get('location')).toBe(
      `/users/sign_in?redirect_to=${encodeURIComponent('/top/sub/deep/-/settings/ci_cd')}`,
    );
    expect((await get('/top/sub/deep/-/pipelines', asBob)).status).toBe(404);
    expect((await get('/top/sub/nothing/-/pipelines', asAlice)).status).toBe(404);
    expect((await get('/top/sub/deep/-/jobs/999', asAlice)).status).toBe(404);
    expect((await get('/top/sub/deep/-/jobs/not-a-number', asAlice)).status).toBe(404);
  });

  it('answers the sub preview as JSON, and a bad composition as a 400 with the reason', async () => {
    const base = '/top/sub/deep/-/settings/ci_cd/id_token_sub/preview.json';
    const good = await get(`${base}?components=project_id&components=ref&ref=release&ref_type=tag`, asAlice);
    expect(good.status).toBe(200);
    const body = (await good.json()) as { sub: string; claims: Record<string, unknown> };
    expect(body.sub).toBe(`project_id:${nested.id}:ref:release`);
    expect(body.claims).toMatchObject({
      ref_type: 'tag',
      ref_path: 'refs/tags/release',
      project_path: 'top/sub/deep',
    });

    const bad = await get(`${base}?components=ref`, asAlice);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      message:
        'The components must start with a key that identifies the project (project_id, project_path, job_project_path).',
    });
    const empty = await get(base, asAlice);
    expect(empty.status).toBe(400);
  });

  it('shows no notice for an unknown "done" key, however it is spelled', async () => {
    const response = await get('/top/sub/deep/-/settings/ci_cd?done=constructor', asAlice);
    expect(response.status).toBe(200);
    expect(await response.text()).not.toContain('class="notice success"');
  });

  it('widens connect-src for the AI gateway on the playground only', async () => {
    const playground = await get('/-/ai/playground', asAlice);
    expect(playground.status).toBe(200);
    expect(playground.headers.get('content-security-policy')).toContain(
      "connect-src 'self' http://127.0.0.1:1;",
    );
    const other = await get('/dashboard/projects', asAlice);
    expect(other.headers.get('content-security-policy')).toContain("connect-src 'self';");
    expect(await other.text()).toContain('top/sub/deep');
  });

  it('keeps the Cloud Connector page from anyone but administrators', async () => {
    expect((await get('/admin/cloud_connector', asAlice)).status).toBe(404);
    const post = await fetch(`${instance.url}/admin/cloud_connector/sync`, {
      method: 'POST',
      headers: { cookie: asAlice.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ authenticity_token: asAlice.csrfToken }).toString(),
    });
    expect(post.status).toBe(404);
  });
});
