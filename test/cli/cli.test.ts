import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dataDir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));

function tessera(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['bin/tessera.mjs', ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TESSERA_DATA_DIR: dataDir, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the tessera CLI', () => {
  it('--version prints what GET /api/v4/metadata reports', async () => {
    const { GITLAB_API_VERSION, TESSERA_VERSION } = await import('../../src/runtime/version.ts');
    const result = tessera(['--version']);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(`tessera ${TESSERA_VERSION} (GitLab API ${GITLAB_API_VERSION})`);
  });

  it('migrates a fresh store, then finds nothing to do', () => {
    const first = tessera(['migrate', '--json']);
    expect(first.status).toBe(0);
    expect(JSON.parse(first.stdout).applied).toContain('001-foundation');
    const second = tessera(['migrate', '--json']);
    expect(JSON.parse(second.stdout)).toEqual({ applied: [] });
  });

  it('a wrong setting stops it with one line naming the setting and no stack', () => {
    const result = tessera(['migrate'], { TESSERA_DATABASE_URL: 'mysql://nope' });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tessera: TESSERA_DATABASE_URL: /);
  });

  it('an unknown role is refused', () => {
    const result = tessera(['serve', 'mainframe']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('unknown role "mainframe"');
  });
});
