import { readdirSync, readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { desktopContext, launchChromium, screenshot, watchCspViolations } from './browser.ts';

/* The in-app help in a real browser: every flow page's Mermaid diagrams drawn as SVG under the CSP. */

const FLOWS = readdirSync('docs/flows')
  .filter((file) => file.endsWith('.md') && file !== 'README.md')
  .map((file) => file.slice(0, -'.md'.length));

/** The participants each diagram of a page declares, by their shown names, in order. */
function participantsOf(flow: string): string[][] {
  const text = readFileSync(`docs/flows/${flow}.md`, 'utf8');
  return [...text.matchAll(/```mermaid\n([\s\S]*?)```/g)].map(([, source]) =>
    [...source!.matchAll(/^\s*(?:participant|actor)\s+(\S+)(?:\s+as\s+(.+))?$/gm)].map(([, id, label]) =>
      (label ?? id!).trim(),
    ),
  );
}

describe('the help pages in a real browser', () => {
  let instance: TestInstance;
  let browser: Browser;
  let page: Page;
  let violations: string[] = [];

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'web-help' });
    browser = await launchChromium();
    page = await (await desktopContext(browser)).newPage();
    violations = watchCspViolations(page);
  });

  afterAll(async () => {
    await browser?.close();
    await instance?.stop();
  });

  it.each(FLOWS)('docs/flows/%s.md draws each of its diagrams as SVG with its participants', async (flow) => {
    const expected = participantsOf(flow);
    expect(expected.length, `${flow} has no diagram`).toBeGreaterThan(0);
    await page.goto(`${instance.url}/help/flows/${flow}`);
    const diagrams = page.locator('pre.mermaid');
    await expect.poll(() => page.locator('pre.mermaid svg').count()).toBe(expected.length);
    for (const [index, participants] of expected.entries()) {
      const drawn = await diagrams.nth(index).locator('svg').innerHTML();
      for (const name of participants)
        expect(drawn, `${flow} diagram ${index + 1}`).toContain(escapeText(name));
    }
    expect(violations).toEqual([]);
  });

  it('renders tables, code and anchors, and keeps links between docs inside the UI', async () => {
    await page.goto(`${instance.url}/help/flows/oauth`);
    await expect.poll(() => page.locator('pre.mermaid svg').count()).toBeGreaterThan(0);
    expect(await page.locator('article.doc table').count()).toBeGreaterThan(0);
    expect(await page.locator('article.doc pre code').count()).toBeGreaterThan(0);
    const headings = await page.locator('article.doc h2[id]').evaluateAll((all) => all.map((h) => h.id));
    expect(headings.length).toBeGreaterThan(0);
    const toDocs = await page
      .locator('article.doc a[href]')
      .evaluateAll((links) => links.map((a) => a.getAttribute('href')!));
    expect(toDocs.filter((href) => href.endsWith('.md') || href.includes('.md#'))).toEqual([]);
    const inside = toDocs.find((href) => href.startsWith('/help/'));
    expect(inside, 'the OAuth page links to another help page').toBeDefined();
    await page.goto(`${instance.url}${inside}`);
    expect(await page.locator('h1').innerText()).not.toBe('Not found');
    await screenshot(page, 'help-oauth');
    expect(violations).toEqual([]);
  });
});

/** How SVG markup spells a name (Mermaid writes text content escaped). */
function escapeText(name: string): string {
  return name.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
