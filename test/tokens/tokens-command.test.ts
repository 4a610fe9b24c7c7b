import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrations/index.ts';
import { rememberSecret } from '../support/secrets.ts';
import { createUser } from '../support/world.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'tessera-tokens-cli-'));
const databaseUrl = `sqlite:${join(dataDir, 'tessera.sqlite')}`;
const instanceKeys = {
  TESSERA_KEY_ENCRYPTION_KEY: rememberSecret(randomBytes(32).toString('base64url')),
  TESSERA_DIGEST_SECRET: rememberSecret(randomBytes(32).toString('base64url')),
};

function tessera(args: string[], input?: string) {
  const result = spawnSync(process.execPath, ['bin/tessera.mjs', ...args], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TESSERA_DATA_DIR: dataDir,
      TESSERA_DATABASE_URL: databaseUrl,
      ...instanceKeys,
    },
    encoding: 'utf8',
    timeout: 60_000,
    ...(input === undefined ? {} : { input }),
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('tessera tokens', () => {
  beforeAll(async () => {
    const db = openDatabase(databaseUrl);
    await migrateToLatest(db);
    await createUser(db, { username: 'ops' });
    await db.destroy();
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates a token for a user and prints its secret once; inspect says what it is without repeating it', () => {
    const created = tessera([
      'tokens',
      'create',
      '--user',
      'ops',
      '--name',
      'bootstrap',
      '--scopes',
      'api,read_user',
      '--expires-at',
      '2099-01-01',
      '--json',
    ]);
    // The instance clock is real: a far expiry is beyond the 365-day policy.
    expect(created.status).toBe(1);
    expect(created.stderr.trim()).toMatch(/^tessera: expires_at must be at most 365 days ahead/);

    const ok = tessera([
      'tokens',
      'create',
      '--user',
      'ops',
      '--name',
      'bootstrap',
      '--scopes',
      'api,read_user',
      '--json',
    ]);
    expect(ok.status).toBe(0);
    const body = JSON.parse(ok.stdout);
    rememberSecret(body.token);
    expect(body).toMatchObject({ user: 'ops', name: 'bootstrap', scopes: ['api', 'read_user'] });
    expect(body.token).toMatch(/^glpat-/);

    const fromStdin = tessera(['tokens', 'inspect'], `${body.token}\n`);
    expect(fromStdin.status).toBe(0);
    expect(fromStdin.stdout).toMatch(/type\s+personal_access_token/);
    expect(fromStdin.stdout).toMatch(/owner\s+ops/);
    expect(fromStdin.stdout).toMatch(/state\s+active/);
    expect(fromStdin.stdout).not.toContain(body.token.slice('glpat-'.length));

    const revoked = tessera(['tokens', 'revoke', String(body.id), '--json']);
    expect(JSON.parse(revoked.stdout)).toEqual({ id: body.id, revoked: true, changed: true });
    const after = tessera(['tokens', 'inspect', '--json', '--token', body.token]);
    expect(JSON.parse(after.stdout)).toMatchObject({
      id: body.id,
      state: 'revoked',
      scopes: ['api', 'read_user'],
    });
  });

  it('refuses an unknown user, an unknown token and an unsupported type with one line', () => {
    const unknownUser = tessera(['tokens', 'create', '--user', 'nobody', '--name', 'x', '--scopes', 'api']);
    expect([unknownUser.status, unknownUser.stderr.trim()]).toEqual([1, 'tessera: 404 User Not Found']);
    const unknownToken = tessera(
      ['tokens', 'inspect'],
      rememberSecret('glpat-DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD'),
    );
    expect([unknownToken.status, unknownToken.stderr.trim()]).toEqual([1, 'tessera: 404 Token Not Found']);
    const unsupported = tessera(['tokens', 'inspect'], 'ghp_something');
    expect([unsupported.status, unsupported.stderr.trim()]).toEqual([1, 'tessera: unsupported token type']);
    const revokeMissing = tessera(['tokens', 'revoke', '99999']);
    expect([revokeMissing.status, revokeMissing.stderr.trim()]).toEqual([1, 'tessera: 404 Token Not Found']);
  });
});
