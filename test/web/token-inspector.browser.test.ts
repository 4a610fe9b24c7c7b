import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project } from '../../src/store/schema.ts';
import {
  call,
  personWithPat,
  projectOf,
  pushFiles,
  registerRunner,
  startCiInstance,
  type CiActor,
} from '../ci/ci-world.ts';
import { createUserWithPassword } from '../identity/identity-fixtures.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret, testLogDir } from '../support/secrets.ts';
import { desktopContext, launchChromium, screenshot, signInWithForm, textOf } from './browser.ts';

const AUDIENCE = 'https://vault.example';

/** Acceptance 5 of the web UI: every kind of credential an operator may paste, identified. */
describe('the token inspector on every kind of credential', () => {
  let instance: TestInstance;
  let browser: Browser;
  let page: Page;
  let maintainer: CiActor;
  let project: Project;
  const pasted: string[] = [];

  /** Pastes `value` into the inspector and waits for the verdict; the page never echoes it. */
  async function inspect(value: string, audience = ''): Promise<void> {
    pasted.push(value);
    await page.goto(`${instance.url}/admin/token_inspector`);
    await page.getByLabel(/^Credential or JWT/).fill(value);
    await page.getByLabel(/^Expected audience/).fill(audience);
    await page.getByRole('button', { name: 'Inspect' }).click();
    await page.getByTestId('inspection').waitFor();
    expect(await page.content()).not.toContain(value);
  }

  const checks = async () =>
    Object.fromEntries(
      await page
        .locator('[data-testid="jwt-checks"] tbody tr')
        .evaluateAll((rows) =>
          rows.map((row) => [row.getAttribute('data-check'), row.querySelector('.badge')?.textContent]),
        ),
    );

  beforeAll(async () => {
    instance = await startCiInstance('web-token-inspector');
    const root = await createUserWithPassword(instance.context.db, { username: 'root', is_admin: 1 });
    maintainer = await personWithPat(instance);
    project = await projectOf(instance, maintainer.user);
    browser = await launchChromium();
    page = await (await desktopContext(browser)).newPage();
    await signInWithForm(page, instance.url, 'root', root.password);
  });
  afterAll(async () => {
    await browser?.close();
    await instance?.stop();
  });

  it('names a deploy token: its type, project and scopes', async () => {
    const created = await call(instance, 'POST', `/api/v4/projects/${project.id}/deploy_tokens`, {
      token: maintainer.pat,
      body: { name: 'cluster pull', scopes: ['read_registry'] },
    });
    expect(created.status).toBe(201);
    await inspect(rememberSecret(created.body.token));
    expect(await textOf(page, 'inspection-type')).toBe('deploy_token');
    expect(await textOf(page, 'inspection-scopes')).toBe('read_registry');
    expect(await textOf(page, 'inspection-state')).toBe('active');
  });

  it('says "job finished" for the token of a finished job, and passes every check of its ID token', async () => {
    const admin = await personWithPat(instance, { is_admin: 1 });
    const runner = await registerRunner(instance, admin.pat);
    await pushFiles(instance, project, maintainer, {
      '.gitlab-ci.yml': `job:\n  id_tokens:\n    VAULT_ID_TOKEN:\n      aud: ${AUDIENCE}\n  script: [echo done]\n`,
    });
    const taken = await call(instance, 'POST', '/api/v4/jobs/request', { body: { token: runner.token } });
    expect(taken.status).toBe(201);
    const jobToken = rememberSecret(taken.body.token as string);
    const idToken = rememberSecret(
      (taken.body.variables as { key: string; value: string }[]).find((v) => v.key === 'VAULT_ID_TOKEN')!
        .value,
    );

    await inspect(jobToken);
    expect(await textOf(page, 'inspection-type')).toBe('ci_job_token');
    expect(await textOf(page, 'inspection-state')).toBe('active');

    await inspect(idToken, AUDIENCE);
    expect(await checks()).toEqual({ signature: 'pass', iss: 'pass', aud: 'pass', time: 'pass' });
    const claims = JSON.parse(await page.getByTestId('jwt-claims').innerText()) as Record<string, unknown>;
    expect(claims).toMatchObject({
      iss: instance.url,
      aud: AUDIENCE,
      project_path: project.full_path,
      job_id: String(taken.body.id),
    });
    await screenshot(page, 'token-inspector-id-token');

    const done = await call(instance, 'PUT', `/api/v4/jobs/${taken.body.id}`, {
      body: { token: jobToken, state: 'success' },
    });
    expect(done.status).toBe(200);
    await inspect(jobToken);
    expect(await textOf(page, 'inspection-state')).toBe('job finished');
    await screenshot(page, 'token-inspector-job-finished');

    const [header, payload, signature] = idToken.split('.') as [string, string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), ref: 'protected' }),
    ).toString('base64url');
    await inspect(rememberSecret(`${header}.${forged}.${signature}`), AUDIENCE);
    expect(await checks()).toEqual({ signature: 'fail', iss: 'pass', aud: 'pass', time: 'pass' });
  });

  it('wrote none of the pasted values into a log', async () => {
    expect(pasted.length).toBeGreaterThanOrEqual(5);
    const logs = readdirSync(testLogDir())
      .filter((name) => name.startsWith('web-token-inspector'))
      .map((name) => readFileSync(join(testLogDir(), name), 'utf8'));
    expect(logs.length).toBeGreaterThan(0);
    for (const value of pasted) for (const log of logs) expect(log).not.toContain(value);
  });
});
