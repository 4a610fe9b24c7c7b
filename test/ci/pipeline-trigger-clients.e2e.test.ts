import { Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../src/store/schema.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { personWithPat, projectOf, pushFiles, startCiInstance, type CiActor } from './ci-world.ts';
import { runPeer, runPythonFixture } from '../support/gitlab-clients.ts';

const SCRIPT = 'test/ci/fixtures/python_gitlab_triggers.py';
const CI_YAML = 'build:\n  script:\n    - echo built\n';

describe('pipeline trigger tokens through python-gitlab, gitbeaker and curl', () => {
  let instance: TestInstance;
  let alice: CiActor;
  let project: Project;

  beforeAll(async () => {
    instance = await startCiInstance('ci-trigger-clients');
    alice = await personWithPat(instance);
    project = await projectOf(instance, alice.user, { path: 'hooks' });
    await pushFiles(instance, project, alice, { '.gitlab-ci.yml': CI_YAML });
  });
  afterAll(async () => instance?.stop());

  it('python-gitlab: create, list, get, update the description, delete', async () => {
    const result = await runPythonFixture(SCRIPT, [instance.url, alice.pat, String(project.id)]);
    expect(result.code, result.stderr).toBe(0);
    const out = result.result;
    expect(out.made).toMatchObject({ description: 'nightly', token: expect.stringMatching(/^glptt-/) });
    expect(out.listed).toEqual([out.made.id]);
    expect(out.renamed).toBe('nightly build');
    expect(out.triggered).toEqual({ source: 'trigger', ref: 'main' });
    expect(out.after_delete).toEqual([]);
  });

  it('gitbeaker: create, show, edit, trigger a pipeline, remove; the removed token runs nothing', async () => {
    const api = new Gitlab({ host: instance.url, token: alice.pat });
    const made = await api.PipelineTriggerTokens.create(project.id, 'deploy');
    const token = rememberSecret(made.token);
    expect((await api.PipelineTriggerTokens.show(project.id, made.id)).description).toBe('deploy');
    const edited = await api.PipelineTriggerTokens.edit(project.id, made.id, { description: 'deploy prod' });
    expect(edited.description).toBe('deploy prod');

    // Any client holding only the trigger token: no PAT at all.
    const anonymous = new Gitlab({ host: instance.url, token: '' });
    const pipeline = await anonymous.PipelineTriggerTokens.trigger(project.id, 'main', token);
    expect(pipeline).toMatchObject({ source: 'trigger', ref: 'main' });

    // The older path form with the ref in the URL and the token in the query, as webhooks call it.
    const byPath = await runPeer('curl', [
      '--silent',
      '--request',
      'POST',
      `${instance.url}/api/v4/projects/${project.id}/ref/main/trigger/pipeline?token=${token}`,
    ]);
    expect(JSON.parse(byPath.stdout)).toMatchObject({ source: 'trigger', ref: 'main' });

    await api.PipelineTriggerTokens.remove(project.id, made.id);
    const refused = await anonymous.PipelineTriggerTokens.trigger(project.id, 'main', token).catch(
      (error: { cause?: { response?: Response } }) => error.cause?.response?.status,
    );
    expect(refused).toBe(404);
  });
});
