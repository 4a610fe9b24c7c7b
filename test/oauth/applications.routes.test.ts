import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../identity/identity-fixtures.ts';
import { asBrowser } from '../identity/http-session.ts';
import { rememberSecret } from '../support/secrets.ts';
import { CALLBACK, oauthPost, startOAuthWorld, type OAuthWorld, json } from './oauth-fixtures.ts';

let world: OAuthWorld;
const api = (path: string) => `${world.instance.url}/api/v4${path}`;

beforeAll(async () => {
  world = await startOAuthWorld('oauth-applications');
});
afterAll(async () => {
  await world.instance.stop();
});

describe('/api/v4/applications (administrators)', () => {
  it("creates an application with GitLab's field names and shows its gloas- secret once", async () => {
    const created = await asBrowser(world.asRoot, api('/applications'), {
      method: 'POST',
      json: {
        name: 'CI dashboard',
        redirect_uri: `${CALLBACK} http://127.0.0.1:9/second`,
        scopes: 'read_user openid',
        confidential: true,
      },
    });
    expect(created.status).toBe(201);
    const body = await json(created);
    rememberSecret(body.secret);
    expect(body).toEqual({
      id: expect.any(Number),
      application_id: expect.stringMatching(/^[0-9a-f]{64}$/),
      application_name: 'CI dashboard',
      secret: expect.stringMatching(/^gloas-[A-Za-z0-9_-]{32}$/),
      callback_url: `${CALLBACK}\nhttp://127.0.0.1:9/second`,
      confidential: true,
      scopes: ['read_user', 'openid'],
      trusted: false,
      dynamic_user_scope: false,
      created_at: expect.any(String),
    });

    const listed = await asBrowser(world.asRoot, api('/applications'));
    expect(listed.status).toBe(200);
    const apps = await json(listed);
    const mine = apps.find((a: { id: number }) => a.id === body.id);
    expect(mine).toEqual({ ...body, secret: undefined });
    expect(JSON.stringify(apps)).not.toContain('gloas-');
    const events = await auditEvents(world.instance.context.db, 'oauth_application.created');
    expect(JSON.stringify(events)).not.toContain(body.secret);
  });

  it('answers no secret for a public application, and has none to renew', async () => {
    const created = await asBrowser(world.asRoot, api('/applications'), {
      method: 'POST',
      json: { name: 'CLI', redirect_uri: CALLBACK, scopes: 'api', confidential: false },
    });
    expect(created.status).toBe(201);
    const body = await json(created);
    expect(body.confidential).toBe(false);
    expect(body).not.toHaveProperty('secret');
    expect(JSON.stringify(body)).not.toContain('gloas-');
    const renewed = await asBrowser(world.asRoot, api(`/applications/${body.id}/renew-secret`), {
      method: 'POST',
    });
    expect(renewed.status).toBe(400);
    expect(JSON.stringify(await json(renewed))).not.toContain('gloas-');
  });

  it('renews the secret: the old one stops authenticating the client at once', async () => {
    const app = await world.createApp();
    const renewed = await asBrowser(world.asRoot, api(`/applications/${app.id}/renew-secret`), {
      method: 'POST',
    });
    expect(renewed.status).toBe(201);
    const body = await json(renewed);
    rememberSecret(body.secret);
    expect(body.secret).not.toBe(app.secret);
    const withOld = await oauthPost(world.instance, '/oauth/introspect', { token: 'gloat-x' }, app);
    expect(withOld.status).toBe(401);
    const withNew = await oauthPost(
      world.instance,
      '/oauth/introspect',
      { token: 'gloat-x' },
      { clientId: app.clientId, secret: body.secret },
    );
    expect(withNew.body).toEqual({ active: false });
  });

  it('deletes an application (204); then it is gone', async () => {
    const app = await world.createApp();
    const deleted = await asBrowser(world.asRoot, api(`/applications/${app.id}`), { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    const again = await asBrowser(world.asRoot, api(`/applications/${app.id}`), { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(await json(again)).toEqual({ message: '404 Application Not Found' });
    expect((await oauthPost(world.instance, '/oauth/introspect', { token: 'gloat-x' }, app)).status).toBe(
      401,
    );
  });

  it('refuses people who are not administrators, and names a bad field', async () => {
    const refused = await asBrowser(world.asAlice, api('/applications'));
    expect(refused.status).toBe(403);
    const badScope = await asBrowser(world.asRoot, api('/applications'), {
      method: 'POST',
      json: { name: 'x', redirect_uri: CALLBACK, scopes: 'api everything' },
    });
    expect(badScope.status).toBe(400);
    expect((await json(badScope)).message.scopes[0]).toContain("doesn't match the allowed scopes");
    const badRedirect = await asBrowser(world.asRoot, api('/applications'), {
      method: 'POST',
      json: { name: 'x', redirect_uri: 'not a url', scopes: 'api' },
    });
    expect(badRedirect.status).toBe(400);
    expect(await json(badRedirect)).toEqual({
      message: { redirect_uri: ['must be an absolute URI without a fragment'] },
      error: 'redirect_uri must be an absolute URI without a fragment',
    });
  });
});

describe("/api/v4/user/applications (anyone's own)", () => {
  it('lets a person register, list and delete their own, never trusted nor allowed user:*', async () => {
    const created = await asBrowser(world.asAlice, api('/user/applications'), {
      method: 'POST',
      json: {
        name: 'My tool',
        redirect_uri: CALLBACK,
        scopes: 'api',
        trusted: true,
        dynamic_user_scope: true,
      },
    });
    expect(created.status).toBe(201);
    const body = await json(created);
    rememberSecret(body.secret);
    expect(body).toMatchObject({
      application_name: 'My tool',
      trusted: false,
      dynamic_user_scope: false,
      confidential: true,
    });

    const bobs = await asBrowser(world.asBob, api('/user/applications'));
    expect(await json(bobs)).toEqual([]);
    expect(
      (await asBrowser(world.asBob, api(`/user/applications/${body.id}`), { method: 'DELETE' })).status,
    ).toBe(404);
    // Not an instance-wide application either.
    expect(
      (await asBrowser(world.asRoot, api(`/applications/${body.id}`), { method: 'DELETE' })).status,
    ).toBe(404);

    const own = await asBrowser(world.asAlice, api('/user/applications'));
    expect((await json(own)).map((a: { id: number }) => a.id)).toEqual([body.id]);
    expect(
      (await asBrowser(world.asAlice, api(`/user/applications/${body.id}`), { method: 'DELETE' })).status,
    ).toBe(204);
  });
});
