import { Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSION_CATALOGUE } from '../../src/identity/permission-catalogue.ts';
import type { User } from '../../src/store/schema.ts';
import { runPythonFixture } from '../support/gitlab-clients.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { createUser } from '../support/world.ts';
import { depsOf, givePat } from '../tokens/token-fixtures.ts';

const PATH = '/api/v4/personal_access_tokens/permissions';
const SCRIPT = 'test/http/fixtures/python_gitlab_permissions.py';

interface Entry {
  name: string;
  resource: string;
  action: string;
  boundaries: string[];
  description: string;
}

describe('GET /api/v4/personal_access_tokens/permissions', () => {
  let instance: TestInstance;
  let user: User;
  let pat: string;

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'permissions-catalogue' });
    user = await createUser(instance.context.db, { username: 'catalogue-reader' });
    pat = (await givePat(depsOf(instance), user, ['read_api'])).plaintext;
  });
  afterAll(() => instance.stop());

  const get = (headers: Record<string, string> = {}) => fetch(`${instance.url}${PATH}`, { headers });

  it('serves the whole catalogue, unpaginated, as {name, resource, action, boundaries, description}', async () => {
    const response = await get({ 'private-token': pat });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    // One small table, served whole: no page headers, more entries than a default page holds.
    expect(response.headers.get('x-total')).toBeNull();
    expect(response.headers.get('link')).toBeNull();
    const entries = (await response.json()) as Entry[];
    expect(entries.length).toBe(PERMISSION_CATALOGUE.length);
    expect(entries.length).toBeGreaterThan(20);
    for (const entry of entries) {
      expect(Object.keys(entry)).toEqual(['name', 'resource', 'action', 'boundaries', 'description']);
    }
    expect(entries.find((entry) => entry.name === 'download_code')).toEqual({
      name: 'download_code',
      resource: 'Code',
      action: 'Download',
      boundaries: ['project'],
      description: expect.any(String),
    });
    expect(entries.find((entry) => entry.name === 'push_code')).toMatchObject({
      resource: 'Code',
      action: 'Push',
    });
  });

  it('needs an authenticated user: 401 without a credential, as on the platform', async () => {
    const response = await get();
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: '401 Unauthorized' });
  });

  it('is read-only: a write to it is not a route', async () => {
    const response = await fetch(`${instance.url}${PATH}`, {
      method: 'POST',
      headers: { 'private-token': pat },
    });
    expect([404, 405]).toContain(response.status);
  });

  it('is what python-gitlab 3.12 reads with a raw http_get', async () => {
    const run = await runPythonFixture(SCRIPT, [instance.url, pat]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.result).toMatchObject({
      type: 'list',
      count: PERMISSION_CATALOGUE.length,
      download_code: { name: 'download_code', resource: 'Code', action: 'Download', boundaries: ['project'] },
      anonymous: 401,
    });
  });

  it('is what @gitbeaker/rest reads through its requester (it has no wrapper for it)', async () => {
    const api = new Gitlab({ host: instance.url, token: pat });
    const response = await api.requester.get('personal_access_tokens/permissions');
    const entries = response.body as unknown as Entry[];
    expect(entries.map((entry) => entry.name)).toEqual(PERMISSION_CATALOGUE.map((entry) => entry.name));
  });
});
