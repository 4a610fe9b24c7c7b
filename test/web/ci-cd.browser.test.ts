import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { decodeJwt } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Job } from '../../src/store/ci-schema.ts';
import type { Project, User } from '../../src/store/schema.ts';
import {
  finishedJobs,
  latestPipeline,
  newestPipelineId,
  personWithPat,
  pushFiles,
  registerRunner,
  spawnRunnerCli,
  startCiInstance,
  type CiActor,
} from '../ci/ci-world.ts';
import { createUserWithPassword } from '../identity/identity-fixtures.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { addMember, createGroup, createProject } from '../support/world.ts';
import { depsOf, givePat } from '../tokens/token-fixtures.ts';
import {
  desktopContext,
  launchChromium,
  screenshot,
  signInWithForm,
  textOf,
  watchCspViolations,
} from './browser.ts';

/*
 * Acceptance 4 of the web UI issue: the `sub` preview on Settings → CI/CD follows the chosen
 * components as they change, and equals the `sub` of the ID token the next real job receives (a push,
 * a pipeline, `tessera runner run --once`). Along the way: the job-token allowlist and its
 * authentication log, the pipelines page and a job log whose masked variables stay masked.
 */

const DEFAULT_SUB = 'project_path:acme/app:ref_type:branch:ref:main';
const CHOSEN_SUB = `${DEFAULT_SUB}:user_login:alice`;

describe('CI/CD settings, pipelines and job logs in a real browser', () => {
  let instance: TestInstance;
  let browser: Browser;
  let page: Page;
  let alice: CiActor & { password: string };
  let app: Project;
  let tools: Project;
  let out: string;
  let job: Job;
  let idToken = '';
  let runnerToken = '';
  let violations: string[] = [];
  const ciCd = (project: Project) => `${instance.url}/${project.full_path}/-/settings/ci_cd`;

  beforeAll(async () => {
    instance = await startCiInstance('web-ci-cd');
    const db = instance.context.db;
    const admin = await personWithPat(instance, { is_admin: 1 });
    const made: { user: User; password: string } = await createUserWithPassword(db, {
      username: 'alice',
      name: 'Alice Liddell',
    });
    const pat = await givePat(depsOf(instance), made.user, ['api', 'read_repository', 'write_repository']);
    alice = { ...made, pat: pat.plaintext };
    const acme = await createGroup(db, { path: 'acme' });
    app = await createProject(db, acme, { path: 'app' });
    tools = await createProject(db, acme, { path: 'tools' });
    for (const project of [app, tools]) await addMember(db, project, alice.user, ACCESS_LEVELS.maintainer);
    // A group goes on an allowlist only when the maintainer can see it.
    await addMember(db, acme, alice.user, ACCESS_LEVELS.reporter);
    out = mkdtempSync(join(tmpdir(), 'tessera-web-ci-'));
    const runner = await registerRunner(instance, admin.pat);
    runnerToken = runner.token;
    browser = await launchChromium();
    page = await (await desktopContext(browser)).newPage();
    violations = watchCspViolations(page);
    await signInWithForm(page, instance.url, 'alice', alice.password);
  });

  afterAll(async () => {
    await browser?.close();
    await instance?.stop();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('a maintainer adds projects and groups to the job token allowlist, and removes them', async () => {
    await page.goto(ciCd(tools));
    expect(await page.getByTestId('allowlist-empty').count()).toBe(1);
    for (const [type, path] of [
      ['project', 'acme/app'],
      ['group', 'acme'],
    ] as const) {
      await page.getByLabel('Add a').selectOption(type);
      await page.getByLabel('Project or group path').fill(path);
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await page.locator(`tr[data-entry="${type}:${path}"]`).waitFor();
    }
    const entries = page.locator('[data-testid="allowlist-table"] tbody tr');
    expect(await entries.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-entry')))).toEqual([
      'project:acme/app',
      'group:acme',
    ]);

    page.once('dialog', (dialog) => void dialog.accept());
    await Promise.all([
      page.waitForURL(/done=allowlist_removed/),
      page.getByRole('button', { name: 'Remove acme', exact: true }).click(),
    ]);
    expect(await entries.count()).toBe(1);

    // A private project alice cannot see answers exactly as a path that names nothing.
    const hidden = await createGroup(instance.context.db, { path: 'vault' });
    await createProject(instance.context.db, hidden, { path: 'secrets' });
    for (const [type, path] of [
      ['project', 'acme/nothing-here'],
      ['project', 'vault/secrets'],
      ['group', 'nowhere'],
      ['group', 'vault'],
    ] as const) {
      await page.goto(ciCd(tools));
      await page.getByLabel('Add a').selectOption(type);
      await page.getByLabel('Project or group path').fill(path);
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await expect(page.getByRole('alert').first().innerText()).resolves.toBe(
        `No ${type} has that path (or you may not see it).`,
      );
    }
  });

  it('the sub preview follows the chosen components live, from the same claims a job gets', async () => {
    await page.goto(ciCd(app));
    expect(await textOf(page, 'sub-preview')).toBe(DEFAULT_SUB);
    await page.getByLabel('Component 4').selectOption('user_login');
    await expect.poll(() => textOf(page, 'sub-preview')).toBe(CHOSEN_SUB);
    const claims = JSON.parse(await page.getByTestId('claims-preview').innerText()) as Record<
      string,
      unknown
    >;
    expect(claims).toMatchObject({
      iss: instance.url,
      sub: CHOSEN_SUB,
      project_path: 'acme/app',
      namespace_path: 'acme',
      user_login: 'alice',
      user_access_level: 'maintainer',
      ref: 'main',
      ref_type: 'branch',
      ref_protected: 'true',
      pipeline_source: 'push',
    });

    // A first component that does not name the project is refused, live too.
    await page.getByLabel('Component 1').selectOption('namespace_path');
    await expect
      .poll(() => textOf(page, 'sub-problem'))
      .toMatch(/must start with a key that identifies the project/);
    await page.getByLabel('Component 1').selectOption('project_path');
    await expect.poll(() => textOf(page, 'sub-preview')).toBe(CHOSEN_SUB);
    // With script, the preview needs no button.
    expect(await page.getByRole('button', { name: 'Preview' }).isHidden()).toBe(true);

    await page.getByRole('button', { name: 'Save sub components' }).click();
    await page.waitForURL(/done=sub/);
    expect(await textOf(page, 'saved-sub-components')).toBe('project_path, ref_type, ref, user_login');
    expect(await textOf(page, 'sub-preview')).toBe(CHOSEN_SUB);
    await screenshot(page, 'ci-cd-sub-preview', page.locator('#id-token-sub'));
  });

  it('the next real job gets an ID token whose sub is the one the preview showed', async () => {
    const before = await newestPipelineId(instance, app);
    const toolsUrl = new URL(`${instance.url}/${tools.full_path}.git`);
    await pushFiles(instance, app, alice, {
      '.gitlab-ci.yml': `
build:
  id_tokens:
    CLOUD_TOKEN:
      aud: https://cloud.example
  variables:
    OUT: ${out}
  script:
    - 'printf "%s" "$CLOUD_TOKEN" > "$OUT/id_token"'
    - 'echo "job token is $CI_JOB_TOKEN and id token is $CLOUD_TOKEN"'
    - 'git ls-remote "${toolsUrl.protocol}//gitlab-ci-token:$CI_JOB_TOKEN@${toolsUrl.host}${toolsUrl.pathname}"'
`,
    });
    const pipeline = await latestPipeline(instance, app, before);
    const cli = spawnRunnerCli(instance, runnerToken);
    const exited = once(cli, 'exit');
    try {
      [job] = await finishedJobs(instance, pipeline, 60_000);
    } finally {
      // `runner run --once` exits on its own right after the job: give it that moment.
      if (cli.exitCode === null) await Promise.race([exited, delay(15_000)]);
      if (cli.exitCode === null) cli.kill();
    }
    expect(job!.status).toBe('success');
    idToken = rememberSecret(readFileSync(join(out, 'id_token'), 'utf8'));
    expect(decodeJwt(idToken)).toMatchObject({ sub: CHOSEN_SUB, aud: 'https://cloud.example' });
  });

  it('the pipelines page lists the pipeline and its job; the job log keeps masked values masked', async () => {
    await page.goto(`${instance.url}/${app.full_path}/-/pipelines`);
    const row = page.locator('[data-testid="pipelines-table"] tbody tr').first();
    const cells = await row.locator('td').allInnerTexts();
    expect(cells.slice(1, 4)).toEqual(['success', 'push', 'main']);
    await screenshot(page, 'pipelines');
    await row.getByRole('link', { name: 'build' }).click();
    expect(new URL(page.url()).pathname).toBe(`/${app.full_path}/-/jobs/${job.id}`);
    const log = await page.getByTestId('job-log').innerText();
    expect(log).toContain('job token is [MASKED] and id token is [MASKED]');
    expect(await page.content()).not.toContain(idToken);
    await screenshot(page, 'job-log');
  });

  it('the other project shows the job-token authentication from this one in its log', async () => {
    await page.goto(ciCd(tools));
    const logRow = page.locator('[data-testid="auth-log-table"] tbody tr').first();
    const cells = await logRow.locator('td').allInnerTexts();
    expect(cells[0]).toBe('acme/app');
    expect(Number(cells[2])).toBeGreaterThanOrEqual(1);
    await screenshot(page, 'ci-cd-job-token-allowlist', page.locator('#allowlist-heading'));
    expect(violations).toEqual([]);
  });

  it('without JavaScript, the Preview button renders the same preview on the server', async () => {
    const bare = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 375, height: 800 },
    });
    const noScript = await bare.newPage();
    await signInWithForm(noScript, instance.url, 'alice', alice.password);
    await noScript.goto(ciCd(app));
    await noScript.getByLabel('Component 4').selectOption('');
    await noScript.getByRole('button', { name: 'Preview' }).click();
    expect(await textOf(noScript, 'sub-preview')).toBe(DEFAULT_SUB);
    // Nothing was saved by previewing.
    expect(await textOf(noScript, 'saved-sub-components')).toBe('project_path, ref_type, ref, user_login');
    expect(await noScript.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await bare.close();
  });
});
