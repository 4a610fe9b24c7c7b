import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Namespace, Project, User } from '../../src/store/schema.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { addMember, createGroup, createProject, createUser } from '../support/world.ts';
import { depsOf, givePat, type Json } from './token-fixtures.ts';

/** Debian's interpreter: the one that sees `python3-gitlab`. */
const PYTHON = '/usr/bin/python3';
const SCRIPT = 'test/tokens/fixtures/python_gitlab_tokens.py';

function python(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(PYTHON, args, { timeout: 60_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('python-gitlab 3.12, unmodified, against the access token API', () => {
  let instance: TestInstance;
  let user: User;
  let group: Namespace;
  let project: Project;
  let pat: { id: number; plaintext: string };

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'python-gitlab' });
    const { db } = instance.context;
    user = await createUser(db, { username: 'pyuser' });
    group = await createGroup(db, { path: 'py-group' });
    project = await createProject(db, group, { path: 'py-project' });
    await addMember(db, group, user, ACCESS_LEVELS.owner);
    pat = await givePat(depsOf(instance), user, ['api']);
  });
  afterAll(() => instance.stop());

  it('authenticates, lists, creates, rotates and revokes tokens; revoked ones get 401', async () => {
    expect(existsSync(PYTHON)).toBe(true);
    // Asynchronously: the instance answering python-gitlab runs in this very process.
    const run = await python([SCRIPT, instance.url, pat.plaintext, String(project.id), String(group.id)]);
    const lines = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { secret?: string; result?: Json });
    for (const line of lines) if (line.secret) rememberSecret(line.secret);
    expect(run.code, run.stderr).toBe(0);
    const result = lines.find((line) => line.result)?.result;

    expect(result.user).toEqual({ id: user.id, username: 'pyuser' });
    expect(result.listed_before).toEqual([pat.id]);
    expect(result.created).toMatchObject({
      name: 'python-made',
      scopes: ['api', 'read_user'],
      user_id: user.id,
      active: true,
      revoked: false,
    });
    expect(result.created_has_token).toBe(true);

    expect(result.rotated).toMatchObject({ name: 'python-made', scopes: ['api', 'read_user'], active: true });
    expect(result.rotated.id).not.toBe(result.created.id);
    expect(result.old_refused_after_rotation).toBe(true);
    expect(result.rotated_works).toBe(true);
    expect(result.listed_active.sort()).toEqual([pat.id, result.rotated.id].sort());
    expect(result.rotated_refused_after_delete).toBe(true);

    expect(result.project_token).toMatchObject({ name: 'py-bot', scopes: ['read_api'], access_level: 30 });
    expect(result.project_tokens_listed).toContain(result.project_token.id);
    expect(result.bot_username).toMatch(new RegExp(`^project_${project.id}_bot_`));
    expect(result.bot_refused_after_delete).toBe(true);
    expect(result.group_token).toMatchObject({
      name: 'py-group-bot',
      scopes: ['read_repository'],
      access_level: 40,
    });

    expect(result.bad_scope_error.code).toBe(400);
    expect(result.bad_scope_error.message).toContain('scopes');
  });
});
