import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/store/schema.ts';
import { startCloudInstance, startTestAuthority, type TestAuthority } from '../cloud/support/cloud-world.ts';
import { request } from '../cloud/support/http.ts';
import {
  baseEnv,
  removeDir,
  startRole,
  tempDataDir,
  type RoleProcess,
} from '../cloud/support/role-process.ts';
import { createUserWithPassword } from '../identity/identity-fixtures.ts';
import { freePort, type TestInstance } from '../support/instance.ts';
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
 * Acceptance 6 of the web UI issue, and the Cloud Connector admin page: an administrator activates a
 * license and syncs in the browser; a seated person's browser gets a user AI token from the instance
 * with the session and calls the AI gateway, running as its own `tessera serve ai-gateway` process,
 * directly (CORS), and shows the completion and the token's expiry.
 */

describe('Cloud Connector admin page and the AI playground in a real browser', () => {
  let authority: TestAuthority;
  let instance: TestInstance;
  let gateway: RoleProcess;
  let gatewayUrl = '';
  let gatewayDir = '';
  let browser: Browser;
  let rootPage: Page;
  let root: { user: User; password: string };
  let alice: { user: User; password: string };
  let bob: { user: User; password: string };
  let rootToken = '';
  const violations: string[][] = [];

  beforeAll(async () => {
    authority = await startTestAuthority();
    gatewayUrl = `http://127.0.0.1:${await freePort()}`;
    instance = await startCloudInstance({ authorityUrl: authority.url, gatewayUrl, name: 'web-ai' });
    gatewayDir = tempDataDir('web-ai-gateway');
    gateway = await startRole(
      'ai-gateway',
      {
        ...baseEnv(gatewayDir),
        TESSERA_AI_GATEWAY_PORT: new URL(gatewayUrl).port,
        // The instance's URL: the issuer it trusts and the browser origin its CORS admits.
        TESSERA_EXTERNAL_URL: instance.url,
        TESSERA_AI_TRUSTED_ISSUERS: `${instance.url},${authority.url}`,
      },
      'web-ai-gateway',
    );
    const db = instance.context.db;
    root = await createUserWithPassword(db, { username: 'root', name: 'Administrator', is_admin: 1 });
    alice = await createUserWithPassword(db, { username: 'alice', name: 'Alice Liddell' });
    bob = await createUserWithPassword(db, { username: 'bob', name: 'Bob Seatless' });
    rootToken = (await givePat(depsOf(instance), root.user, ['api'])).plaintext;
    browser = await launchChromium();
    rootPage = await (await desktopContext(browser)).newPage();
    violations.push(watchCspViolations(rootPage));
    await signInWithForm(rootPage, instance.url, 'root', root.password);
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await instance?.stop();
    await authority?.stop();
    if (gatewayDir) removeDir(gatewayDir);
  });

  it('an administrator activates a license with its code and sees plan, seats and instance token', async () => {
    await rootPage.goto(`${instance.url}/admin/cloud_connector`);
    expect(await rootPage.getByTestId('license-none').count()).toBe(1);
    const { code } = await authority.createLicense([{ name: 'duo_pro', seats: 5 }], {
      expires_at: '2099-12-31',
    });
    await rootPage.getByLabel(/^Activation code/).fill(code);
    await rootPage.getByRole('button', { name: 'Activate' }).click();
    await rootPage.waitForURL(/done=activated/);
    expect(await rootPage.content()).not.toContain(code);
    expect(await textOf(rootPage, 'license-plan')).toBe('ultimate');
    expect(await rootPage.locator('tr[data-add-on="duo_pro"] td').allInnerTexts()).toEqual([
      'duo_pro',
      '5',
      '0',
    ]);
    expect(await textOf(rootPage, 'instance-token')).toMatch(
      /^active expires \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/,
    );
    expect(await textOf(rootPage, 'sync-error')).toBe('none');
  });

  it('"Sync now" syncs again and shows when', async () => {
    const before = await rootPage.getByTestId('last-sync').locator('time').getAttribute('datetime');
    await rootPage.getByRole('button', { name: 'Sync now' }).click();
    await rootPage.waitForURL(/done=synced/);
    const after = await rootPage.getByTestId('last-sync').locator('time').getAttribute('datetime');
    expect(Date.parse(after!)).toBeGreaterThan(Date.parse(before!));
    await screenshot(rootPage, 'cloud-connector');
  });

  it('a seated person gets a completion from the gateway process, called from the browser', async () => {
    const seat = await request(
      'POST',
      `${instance.url}/api/v4/admin/add_ons/duo_pro/seats/${alice.user.id}`,
      {
        token: rootToken,
      },
    );
    expect(seat.status).toBe(201);
    const page = await (await desktopContext(browser)).newPage();
    violations.push(watchCspViolations(page));
    await signInWithForm(page, instance.url, 'alice', alice.password);
    const response = await page.goto(`${instance.url}/-/ai/playground`);
    const policy = response!.headers()['content-security-policy']!;
    expect(policy).toContain(`connect-src 'self' ${gatewayUrl}`);
    expect(policy).not.toContain('unsafe-inline');
    expect(await textOf(page, 'seats')).toBe('Your seats: duo_pro');

    const toGateway = page.waitForResponse((r) => r.url() === `${gatewayUrl}/v2/completions`);
    const started = Date.now();
    await page.getByRole('button', { name: 'Complete' }).click();
    expect((await toGateway).status()).toBe(200);
    await page.locator('form[data-completed="true"]').waitFor();
    expect((await textOf(page, 'ai-completion')).length).toBeGreaterThan(0);
    expect(await textOf(page, 'ai-model')).not.toBe('—');
    const expiry = Date.parse(await textOf(page, 'ai-token-expiry'));
    // A user AI token lives an hour.
    expect(expiry - started).toBeGreaterThan(55 * 60 * 1000);
    expect(expiry - started).toBeLessThan(65 * 60 * 1000);
    expect(await page.getByTestId('ai-error').isHidden()).toBe(true);
    await screenshot(page, 'ai-playground');
    await page.context().close();
  });

  it('a person without a seat is told so, and the instance refuses the token', async () => {
    const page = await (await desktopContext(browser)).newPage();
    await signInWithForm(page, instance.url, 'bob', bob.password);
    await page.goto(`${instance.url}/-/ai/playground`);
    await expect(page.getByRole('alert').first().innerText()).resolves.toContain('You hold no AI seat');
    await page.getByRole('button', { name: 'Complete' }).click();
    await expect
      .poll(() => textOf(page, 'ai-error'))
      .toMatch(/^The instance refused a user AI token \(403\)/);
    await page.context().close();
    expect(violations.flat()).toEqual([]);
  });

  it('when the license authority is down, "Sync now" shows the sync error', async () => {
    await authority.running.close();
    await rootPage.goto(`${instance.url}/admin/cloud_connector`);
    await rootPage.getByRole('button', { name: 'Sync now' }).click();
    await rootPage.waitForURL(/done=synced/);
    await expect(rootPage.getByRole('alert').first().innerText()).resolves.toMatch(/^The sync failed/);
    expect(await textOf(rootPage, 'sync-error')).toMatch(/^error .+\(1 failure in a row\)$/);
    await screenshot(rootPage, 'cloud-connector-sync-error', rootPage.locator('#connector-heading'));
  });
});
