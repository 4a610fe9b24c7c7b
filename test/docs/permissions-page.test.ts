import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeTableOf } from '../../src/http/route-table.ts';
import { PERMISSION_CATALOGUE } from '../../src/identity/permission-catalogue.ts';
import { PERMISSIONS_PAGE, renderPermissionsPage } from '../../scripts/render-permissions-page.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';

/*
 * docs/permissions.md is generated from the catalogue; it must be what the script writes today.
 * When this fails, run `node bin/run-ts.mjs scripts/render-permissions-page.ts` and commit the page.
 */
describe(PERMISSIONS_PAGE, () => {
  let instance: TestInstance;
  beforeAll(async () => {
    instance = await startTestInstance({ name: 'permissions-page' });
  });
  afterAll(() => instance.stop());

  it('is the page the catalogue and the routes render today (not stale)', async () => {
    expect(readFileSync(PERMISSIONS_PAGE, 'utf8')).toBe(
      await renderPermissionsPage(routeTableOf(instance.app)),
    );
  });

  it('lists every entry once, saying whose name it carries', () => {
    const page = readFileSync(PERMISSIONS_PAGE, 'utf8');
    for (const permission of PERMISSION_CATALOGUE) {
      const rows = page.split('\n').filter((line) => line.startsWith(`| \`${permission.name}\` `));
      expect(rows, permission.name).toHaveLength(1);
      expect(rows[0]).toMatch(/\| (GitLab|Tessera) +\|$/);
    }
    expect(page).toMatch(
      /\| `download_code` +\| Download +\| project +\|.*`POST \/:namespace\/:project.git\/git-upload-pack`.*\| GitLab +\|/,
    );
    expect(page).toMatch(/\| `pull_container_image` .*`GET \/jwt\/auth`/);
  });
});
