import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Project, User } from '../../src/store/schema.ts';
import { issueCompositeToken, revokeWorkflowTokens } from '../../src/tokens/oauth/composite-token.ts';
import { duoWorkflowIdentity } from '../../src/workflows/duo-identity.ts';
import { WORKFLOW_TOKEN_SCOPES } from '../../src/workflows/workflow-rules.ts';
import { git, personWithPat, pushFiles, startCiInstance, type CiActor } from '../ci/ci-world.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import * as world from '../support/world.ts';

/*
 * Acceptance 2 through real git over HTTP: a workflow's composite token (the Duo service account
 * acting for a person, scopes `ai_workflows user:<id>`) as `oauth:<token>` clones and pushes only
 * where BOTH may. The REST API and the registry sides are covered by test/oauth/composite-identity*.
 */

describe('a composite token through real git', () => {
  let instance: TestInstance;
  let admin: CiActor;
  let alice: User;
  let serviceAccount: User;
  let token = '';
  const work: string[] = [];
  /** P: only the service account; Q: only alice; R: both developers; S: account developer, alice reporter. */
  const projects: Record<'P' | 'Q' | 'R' | 'S', Project> = {} as never;

  const remote = (project: Project, secret = token) => {
    const url = new URL(`${instance.url}/${project.full_path}.git`);
    url.username = 'oauth';
    url.password = secret;
    return url.toString();
  };
  const infoRefs = (project: Project, service: 'git-upload-pack' | 'git-receive-pack') =>
    fetch(`${instance.url}/${project.full_path}.git/info/refs?service=${service}`, {
      headers: { authorization: `Basic ${Buffer.from(`oauth:${token}`).toString('base64')}` },
    }).then((response) => response.status);
  const cloneOf = async (project: Project) => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-composite-git-'));
    work.push(dir);
    return { dir, result: await git(['clone', '--quiet', remote(project), dir]) };
  };

  beforeAll(async () => {
    instance = await startCiInstance('composite-git');
    const db = instance.context.db;
    admin = await personWithPat(instance, { is_admin: 1 });
    alice = await world.createUser(db);
    const identity = await duoWorkflowIdentity(instance.context);
    serviceAccount = identity.serviceAccount;
    const group = await world.createGroup(db);
    for (const name of ['P', 'Q', 'R', 'S'] as const) {
      projects[name] = await world.createProject(db, group, { path: `composite-${name.toLowerCase()}` });
      await world.addMember(db, projects[name], admin.user, ACCESS_LEVELS.maintainer);
      await pushFiles(instance, projects[name], admin, { 'README.md': `# ${name}\n` });
    }
    for (const [name, who, level] of [
      ['P', serviceAccount, ACCESS_LEVELS.developer],
      ['Q', alice, ACCESS_LEVELS.developer],
      ['R', serviceAccount, ACCESS_LEVELS.developer],
      ['R', alice, ACCESS_LEVELS.developer],
      ['S', serviceAccount, ACCESS_LEVELS.developer],
      ['S', alice, ACCESS_LEVELS.reporter],
    ] as const) {
      await world.addMember(db, projects[name], who, level);
    }
    const issued = await issueCompositeToken(instance.context, {
      serviceAccount,
      user: alice,
      scopes: [...WORKFLOW_TOKEN_SCOPES, `user:${alice.id}`],
      expiresInSeconds: 3600,
      applicationId: identity.application.id,
      workflowId: 'composite-git',
    });
    token = rememberSecret(issued.accessToken);
  });
  afterAll(async () => {
    work.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
    await instance.stop();
  });

  it('the service account can reach P but the person cannot: refused, as if P did not exist', async () => {
    expect(await infoRefs(projects.P, 'git-upload-pack')).toBe(404);
    const { result } = await cloneOf(projects.P);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/not found/i);
  });

  it('the person can reach Q but the service account cannot: refused', async () => {
    expect(await infoRefs(projects.Q, 'git-upload-pack')).toBe(404);
    expect((await cloneOf(projects.Q)).result.code).not.toBe(0);
  });

  it('both can reach R: clone and push a new branch with oauth:<token>', async () => {
    expect(await infoRefs(projects.R, 'git-receive-pack')).toBe(200);
    const { dir, result } = await cloneOf(projects.R);
    expect(result.code, result.stderr).toBe(0);
    writeFileSync(join(dir, 'NOTES.md'), 'written by the workflow\n');
    for (const args of [
      ['checkout', '--quiet', '-b', 'duo-workflow/composite'],
      ['add', 'NOTES.md'],
      ['commit', '--quiet', '-m', 'Workflow notes'],
    ]) {
      expect((await git(args, dir)).code).toBe(0);
    }
    const pushed = await git(
      ['push', '--quiet', remote(projects.R), 'HEAD:refs/heads/duo-workflow/composite'],
      dir,
    );
    expect(pushed.code, pushed.stderr).toBe(0);
    const heads = await git(['ls-remote', remote(projects.R), 'refs/heads/duo-workflow/composite']);
    expect(heads.stdout).toContain('refs/heads/duo-workflow/composite');
  });

  it('both see S but only as the lower of the two levels: clone yes, push no', async () => {
    const { dir, result } = await cloneOf(projects.S);
    expect(result.code, result.stderr).toBe(0);
    expect(await infoRefs(projects.S, 'git-receive-pack')).toBe(403);
    writeFileSync(join(dir, 'NOTES.md'), 'refused\n');
    await git(['add', 'NOTES.md'], dir);
    await git(['commit', '--quiet', '-m', 'refused'], dir);
    const pushed = await git(['push', '--quiet', remote(projects.S), 'HEAD:refs/heads/refused'], dir);
    expect(pushed.code).not.toBe(0);
    expect(pushed.stderr).toMatch(/403|not allowed/);
  });

  it('once the workflow ends, git answers 401 to the token', async () => {
    await revokeWorkflowTokens(instance.context, 'composite-git');
    expect(await infoRefs(projects.R, 'git-upload-pack')).toBe(401);
    expect((await cloneOf(projects.R)).result.code).not.toBe(0);
  });
});
