import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../../src/identity/access-levels.ts';
import type { Namespace, Project, User } from '../../../src/store/schema.ts';
import { startTestInstance, type TestInstance } from '../../support/instance.ts';
import { rememberSecret } from '../../support/secrets.ts';
import { addMember, createGroup, createProject, createUser } from '../../support/world.ts';
import { depsOf, givePat, type Json } from '../token-fixtures.ts';

/** Debian's interpreter: the one that sees `python3-gitlab`. */
const PYTHON = '/usr/bin/python3';
const SCRIPT = 'test/tokens/deploy/fixtures/python_gitlab_deploy_tokens.py';

describe('python-gitlab 3.12, unmodified, against the deploy token API', () => {
  let instance: TestInstance;
  let admin: User;
  let group: Namespace;
  let project: Project;
  let pat: string;

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'python-gitlab-deploy' });
    const { db } = instance.context;
    admin = await createUser(db, { is_admin: 1 });
    group = await createGroup(db, { path: 'py-deploy' });
    project = await createProject(db, group, { path: 'service' });
    await addMember(db, group, admin, ACCESS_LEVELS.owner);
    pat = (await givePat(depsOf(instance), admin, ['api'])).plaintext;
  });
  afterAll(() => instance.stop());

  it('creates, gets, lists and deletes project and group deploy tokens in the shapes python-gitlab reads', async () => {
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        PYTHON,
        [SCRIPT, instance.url, pat, String(project.id), String(group.id)],
        { timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }),
      );
    });
    const lines = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { secret?: string; result?: Json });
    for (const line of lines) if (line.secret) rememberSecret(line.secret);
    expect(run.code, run.stderr).toBe(0);
    const result = lines.find((line) => line.result)?.result;

    expect(result.created).toEqual({
      id: expect.any(Number),
      name: 'python cluster',
      username: 'py-puller',
      scopes: ['read_registry'],
      revoked: false,
      expired: false,
    });
    expect(result.fetched).toMatchObject({ id: result.created.id, name: 'python cluster', expires_at: null });
    expect(result.listed).toContain(result.created.id);
    expect(result.group_username).toMatch(/^gitlab\+deploy-token-\d+$/);
    expect(result.instance_listed).toContain(result.created.id);
    expect(result.far_expires_at).toBe('2999-12-31T22:59:59.000Z');
    expect(result.today_expired).toBe(true);
    // Deleted is gone, as on the platform: 404, and no longer listed.
    expect(result.after_delete).toBe(404);
    expect(result.listed_after_delete).not.toContain(result.created.id);
    expect(result.bad_scope).toBe(400);
  });
});
