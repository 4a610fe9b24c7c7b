import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Project } from '../../src/store/schema.ts';
import { ENGINES } from '../support/databases.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { addMember } from '../support/world.ts';
import {
  call,
  personWithPat,
  projectOf,
  pushFiles,
  startCiInstance,
  type CiActor,
  type Json,
} from './ci-world.ts';

const CI_YAML = 'build:\n  script:\n    - echo built\n';

/** `POST /trigger/pipeline` with a form body, as `curl -F`/`--form` scripts send it. */
async function triggerWithForm(instance: TestInstance, project: Project, fields: Record<string, string>) {
  const response = await fetch(`${instance.url}/api/v4/projects/${project.id}/trigger/pipeline`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

describe.each(ENGINES)('pipeline trigger tokens (%s)', (engine) => {
  let instance: TestInstance;
  let alice: CiActor;
  let dev: CiActor;
  let project: Project;
  const triggers = (p: Project) => `/api/v4/projects/${p.id}/triggers`;

  beforeAll(async () => {
    instance = await startCiInstance(`ci-triggers-${engine}`, { engine });
    alice = await personWithPat(instance);
    dev = await personWithPat(instance);
    project = await projectOf(instance, alice.user, { path: 'triggered' });
    await addMember(instance.context.db, project, dev.user, ACCESS_LEVELS.developer);
    await pushFiles(instance, project, alice, { '.gitlab-ci.yml': CI_YAML });
  });
  afterAll(async () => instance?.stop());

  it('shows a new glptt- token once, keeps only its digest, and audits the creation', async () => {
    const created = await call(instance, 'POST', triggers(project), {
      token: alice.pat,
      body: { description: 'deploy hook' },
    });
    expect(created.status).toBe(201);
    const token = rememberSecret(created.body.token as string);
    expect(created.body).toMatchObject({
      id: expect.any(Number),
      description: 'deploy hook',
      last_used: null,
      owner: { id: alice.user.id, username: alice.user.username },
    });
    expect(token).toMatch(/^glptt-.{20,}$/);

    const listed = await call(instance, 'GET', triggers(project), { token: alice.pat });
    expect(listed.status).toBe(200);
    expect(listed.body).toHaveLength(1);
    expect(listed.body[0]).toMatchObject({ id: created.body.id, description: 'deploy hook' });
    expect(listed.body[0].token).not.toBe(token);
    expect(token.startsWith(listed.body[0].token)).toBe(true);

    const stored = await instance.context.db.selectFrom('ci_pipeline_triggers').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(token);
    const audit = await instance.context.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'pipeline_trigger.created')
      .execute();
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it('refuses trigger management to a developer with 403', async () => {
    const response = await call(instance, 'POST', triggers(project), { token: dev.pat, body: {} });
    expect(response).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
  });

  it('runs a pipeline with source trigger as the owner, from a form or a JSON body', async () => {
    const created = await call(instance, 'POST', triggers(project), { token: alice.pat, body: {} });
    const token = rememberSecret(created.body.token as string);

    const fromForm = await triggerWithForm(instance, project, { token, ref: 'main' });
    expect(fromForm.status).toBe(201);
    expect(fromForm.body).toMatchObject({
      id: expect.any(Number),
      ref: 'main',
      source: 'trigger',
      user: { id: alice.user.id },
    });
    const fromJson = await call(instance, 'POST', `/api/v4/projects/${project.id}/trigger/pipeline`, {
      body: { token, ref: 'main' },
    });
    expect(fromJson).toMatchObject({ status: 201, body: { source: 'trigger', ref: 'main' } });

    const row = await instance.context.db
      .selectFrom('ci_pipelines')
      .selectAll()
      .where('id', '=', fromForm.body.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ source: 'trigger', user_id: alice.user.id });
    const jobs = await instance.context.db
      .selectFrom('ci_jobs')
      .selectAll()
      .where('pipeline_id', '=', row.id)
      .execute();
    expect(jobs.map((j) => j.name)).toEqual(['build']);

    const listed = await call(instance, 'GET', triggers(project), { token: alice.pat });
    const used = (listed.body as Array<{ id: number; last_used: string | null }>).find(
      (t) => t.id === created.body.id,
    );
    expect(used?.last_used).toEqual(expect.any(String));
  });

  it('answers 404 for an unknown token, a token of another project, and a deleted token', async () => {
    const other = await projectOf(instance, alice.user, { path: 'other' });
    const created = await call(instance, 'POST', triggers(project), { token: alice.pat, body: {} });
    const token = rememberSecret(created.body.token as string);

    const unknown = await triggerWithForm(instance, project, { token: 'glptt-nope', ref: 'main' });
    expect(unknown).toEqual({ status: 404, body: { message: '404 Not Found' } });
    const elsewhere = await triggerWithForm(instance, other, { token, ref: 'main' });
    expect(elsewhere).toEqual({ status: 404, body: { message: '404 Not Found' } });

    const deleted = await call(instance, 'DELETE', `${triggers(project)}/${created.body.id}`, {
      token: alice.pat,
    });
    expect(deleted.status).toBe(204);
    const again = await call(instance, 'DELETE', `${triggers(project)}/${created.body.id}`, {
      token: alice.pat,
    });
    expect(again).toMatchObject({ status: 404, body: { message: '404 Trigger Not Found' } });
    const afterDelete = await triggerWithForm(instance, project, { token, ref: 'main' });
    expect(afterDelete).toEqual({ status: 404, body: { message: '404 Not Found' } });
  });

  it('refuses with 403 once the owner lost developer access or is blocked', async () => {
    const owner = await personWithPat(instance);
    const ownerLevel = (level: number) =>
      instance.context.db
        .updateTable('members')
        .set({ access_level: level })
        .where('user_id', '=', owner.user.id)
        .execute();
    await addMember(instance.context.db, project, owner.user, ACCESS_LEVELS.maintainer);
    const created = await call(instance, 'POST', triggers(project), { token: owner.pat, body: {} });
    const token = rememberSecret(created.body.token as string);

    await ownerLevel(ACCESS_LEVELS.reporter);
    const demoted = await triggerWithForm(instance, project, { token, ref: 'main' });
    expect(demoted).toEqual({ status: 403, body: { message: '403 Forbidden' } });

    await ownerLevel(ACCESS_LEVELS.maintainer);
    await instance.context.db
      .updateTable('users')
      .set({ state: 'blocked' })
      .where('id', '=', owner.user.id)
      .execute();
    const blocked = await triggerWithForm(instance, project, { token, ref: 'main' });
    expect(blocked).toEqual({ status: 403, body: { message: '403 Forbidden' } });
  });

  it('names the missing field, and refuses a trigger variable named like a job credential', async () => {
    const created = await call(instance, 'POST', triggers(project), { token: alice.pat, body: {} });
    const token = rememberSecret(created.body.token as string);
    const noRef = await triggerWithForm(instance, project, { token });
    expect(noRef).toMatchObject({ status: 400, body: { error: 'ref is missing' } });
    const withVariables = await triggerWithForm(instance, project, {
      token,
      ref: 'main',
      'variables[CI_JOB_TOKEN]': 'not-a-real-job-token',
    });
    expect(withVariables).toMatchObject({
      status: 400,
      body: { message: { key: [expect.stringContaining('reserved')] } },
    });
  });

  it('is identified by the admin token API, and revoking it there deletes the trigger', async () => {
    const admin = await personWithPat(instance, { is_admin: 1 });
    const created = await call(instance, 'POST', triggers(project), {
      token: alice.pat,
      body: { description: 'leaked hook' },
    });
    const token = rememberSecret(created.body.token as string);
    const inspected = await call(instance, 'POST', '/api/v4/admin/token', {
      token: admin.pat,
      body: { token },
    });
    expect(inspected).toMatchObject({
      status: 200,
      body: {
        token_type: 'pipeline_trigger_token',
        id: created.body.id,
        name: 'leaked hook',
        state: 'active',
        user_id: alice.user.id,
        resource: { type: 'project', id: project.id },
      },
    });
    const revoked = await call(instance, 'DELETE', '/api/v4/admin/token', {
      token: admin.pat,
      body: { token },
    });
    expect(revoked.status).toBe(204);
    expect(await triggerWithForm(instance, project, { token, ref: 'main' })).toMatchObject({ status: 404 });
    const unknown = await call(instance, 'POST', '/api/v4/admin/token', {
      token: admin.pat,
      body: { token },
    });
    expect(unknown.status).toBe(404);
  });
});
