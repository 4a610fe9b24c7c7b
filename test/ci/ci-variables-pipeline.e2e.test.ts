import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Job, Pipeline } from '../../src/store/ci-schema.ts';
import type { Project } from '../../src/store/schema.ts';
import { ENGINES } from '../support/databases.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import * as world from '../support/world.ts';
import {
  call,
  finishedJobs,
  latestPipeline,
  personWithPat,
  projectOf,
  pushFiles,
  registerRunner,
  startRunner,
  startCiInstance,
  type CiActor,
} from './ci-world.ts';

const CI_YAML = `
variables:
  YAML_VS_INSTANCE: from-yaml
show:
  id_tokens:
    MY_ID_TOKEN:
      aud: https://vault.example.test
  script:
    - 'echo "A=$LEVEL_A B=$LEVEL_B C=$LEVEL_C D=$LEVEL_D I=$ONLY_INSTANCE Y=$YAML_VS_INSTANCE"'
    - 'echo "protected=\${PROTECTED_ONE:-absent}"'
    - 'echo "secret=$MASKED_SECRET"'
    - 'echo "b64=$(printf %s "$MASKED_SECRET" | base64 -w0)"'
    - 'echo "file=$(cat "$FILE_VAR") path=$FILE_VAR"'
    - 'case "$MY_ID_TOKEN" in eyJ*) echo "id token is a JWT";; *) echo "id token replaced";; esac'
`;

describe.each(ENGINES)('on %s, CI/CD variables reach real jobs of the real shell runner', (engine) => {
  let instance: TestInstance;
  let alice: CiActor;
  let admin: CiActor;
  let project: Project;
  let runner: { stop(): Promise<void> };
  const secret = rememberSecret(`masked-${Math.random().toString(36).slice(2)}-value`);
  const traces = new Map<string, string>();

  const post = (path: string, token: string, body: Record<string, unknown>) =>
    call(instance, 'POST', `/api/v4${path}`, { token, body });

  async function traceOf(pipeline: Pipeline): Promise<{ job: Job; log: string }> {
    const [job] = await finishedJobs(instance, pipeline, 60_000);
    const response = await fetch(`${instance.url}/api/v4/projects/${project.id}/jobs/${job!.id}/trace`, {
      headers: { 'private-token': alice.pat },
    });
    return { job: job!, log: await response.text() };
  }

  beforeAll(async () => {
    instance = await startCiInstance(`ci-variables-pipeline-${engine}`, { engine });
    const { db } = instance.context;
    admin = await personWithPat(instance, { is_admin: 1 });
    alice = await personWithPat(instance);
    const root = await world.createGroup(db, { path: 'vroot' });
    const team = await world.createGroup(db, { path: 'team', parent: root });
    await world.addMember(db, root, alice.user, ACCESS_LEVELS.owner);
    project = await projectOf(instance, alice.user, { group: team, path: 'app' });

    const creations: [string, string, Record<string, unknown>][] = [
      ['/admin/ci/variables', admin.pat, { key: 'LEVEL_A', value: 'instance' }],
      ['/admin/ci/variables', admin.pat, { key: 'ONLY_INSTANCE', value: 'inst' }],
      ['/admin/ci/variables', admin.pat, { key: 'YAML_VS_INSTANCE', value: 'instance' }],
      [`/groups/${root.id}/variables`, alice.pat, { key: 'LEVEL_A', value: 'root' }],
      [`/groups/${root.id}/variables`, alice.pat, { key: 'LEVEL_B', value: 'root' }],
      [`/groups/${team.id}/variables`, alice.pat, { key: 'LEVEL_B', value: 'team' }],
      [`/groups/${team.id}/variables`, alice.pat, { key: 'LEVEL_C', value: 'team' }],
      [`/projects/${project.id}/variables`, alice.pat, { key: 'LEVEL_C', value: 'project' }],
      [`/projects/${project.id}/variables`, alice.pat, { key: 'LEVEL_D', value: 'project' }],
      [`/projects/${project.id}/variables`, alice.pat, { key: 'MASKED_SECRET', value: secret, masked: true }],
      [
        `/projects/${project.id}/variables`,
        alice.pat,
        { key: 'PROTECTED_ONE', value: 'guarded', protected: true },
      ],
      [
        `/projects/${project.id}/variables`,
        alice.pat,
        { key: 'FILE_VAR', value: 'file-content', variable_type: 'file' },
      ],
      // A variable named like the job's ID token: the job still gets the real token.
      [`/projects/${project.id}/variables`, alice.pat, { key: 'MY_ID_TOKEN', value: 'not-a-jwt' }],
      // Scoped to an environment the job does not deploy to: never reaches it.
      [
        `/projects/${project.id}/variables`,
        alice.pat,
        { key: 'LEVEL_D', value: 'prod-only', environment_scope: 'production' },
      ],
    ];
    for (const [path, token, body] of creations) {
      const created = await post(path, token, body);
      if (created.status !== 201)
        throw new Error(`${path} ${JSON.stringify(body)}: ${JSON.stringify(created.body)}`);
    }

    const registered = await registerRunner(instance, admin.pat);
    runner = startRunner(instance, registered.token, `vars-runner-${engine}`);

    // 1. A push to main, protected by default.
    const pushed = await pushFiles(instance, project, alice, { '.gitlab-ci.yml': CI_YAML });
    const onMain = await latestPipeline(instance, project);
    traces.set('main', (await traceOf(onMain)).log);
    // 2. A push to an unprotected branch.
    await pushFiles(
      instance,
      project,
      alice,
      { 'feature.txt': 'x\n' },
      { branch: 'feature', workTree: pushed.workTree },
    );
    const onFeature = await latestPipeline(instance, project, onMain.id);
    traces.set('feature', (await traceOf(onFeature)).log);
    // 3. A trigger with a pipeline variable, sent as a form the way curl --form does.
    const trigger = await post(`/projects/${project.id}/triggers`, alice.pat, { description: 'vars' });
    const form = new URLSearchParams({
      token: rememberSecret(trigger.body.token as string),
      ref: 'main',
      'variables[LEVEL_D]': 'trigger',
    });
    const triggered = await fetch(`${instance.url}/api/v4/projects/${project.id}/trigger/pipeline`, {
      method: 'POST',
      body: form,
    });
    expect(triggered.status).toBe(201);
    const viaTrigger = await latestPipeline(instance, project, onFeature.id);
    expect(viaTrigger.source).toBe('trigger');
    traces.set('trigger', (await traceOf(viaTrigger)).log);
  }, 180_000);
  afterAll(async () => {
    await runner?.stop();
    await instance?.stop();
  });

  it('gives each job the nearest definition: project over subgroup over group over instance over YAML', () => {
    expect(traces.get('main')).toContain('A=root B=team C=project D=project I=inst Y=instance');
  });

  it('lets trigger variables win over every level', () => {
    expect(traces.get('trigger')).toContain('A=root B=team C=project D=trigger I=inst Y=instance');
  });

  it('hands protected variables only to pipelines on protected branches', () => {
    expect(traces.get('main')).toContain('protected=guarded');
    expect(traces.get('feature')).toContain('protected=absent');
    expect(traces.get('feature')).toContain('A=root B=team C=project D=project');
  });

  it('masks a masked value in the stored trace, as printed and base64-encoded', () => {
    for (const log of traces.values()) {
      expect(log).toContain('secret=[MASKED]');
      expect(log).toContain('b64=[MASKED]');
      expect(log).not.toContain(secret);
      expect(log).not.toContain(Buffer.from(secret).toString('base64'));
    }
  });

  it('writes a file variable to a file whose path is the value', () => {
    expect(traces.get('main')).toMatch(/file=file-content path=\/\S+\/variables\/FILE_VAR/);
  });

  it('never lets a user variable replace an ID token', () => {
    expect(traces.get('main')).toContain('id token is a JWT');
  });

  it('refuses a variable named CI_JOB_TOKEN at creation, on every level', async () => {
    const body = { key: 'CI_JOB_TOKEN', value: 'a-replacement-token' };
    for (const [path, token] of [
      [`/projects/${project.id}/variables`, alice.pat],
      [`/groups/${project.namespace_id}/variables`, alice.pat],
      ['/admin/ci/variables', admin.pat],
    ] as const) {
      const refused = await post(path, token, body);
      expect(refused.status).toBe(400);
      expect(refused.body.message.key[0]).toBe(
        '(CI_JOB_TOKEN) is reserved: it names a credential Tessera gives every job, and a variable cannot replace it',
      );
    }
  });
});
