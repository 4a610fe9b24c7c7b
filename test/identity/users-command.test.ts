import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { usersCommand } from '../../src/cli/users.command.ts';
import { verifyPassword } from '../../src/identity/password.ts';
import { openDatabase, type Db } from '../../src/store/database.ts';
import { findUserByUsername } from '../../src/store/users.repository.ts';
import { rememberSecret } from '../support/secrets.ts';
import { auditEvents, newPassword } from './identity-fixtures.ts';

/** Runs `tessera users …` in this process and returns what it printed on stdout. */
async function run(...args: string[]): Promise<string> {
  let printed = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    printed += String(chunk);
    return true;
  });
  try {
    await usersCommand().exitOverride().parseAsync(args, { from: 'user' });
  } finally {
    write.mockRestore();
  }
  return printed;
}

describe('tessera users', () => {
  let dataDir: string;
  let db: Db;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
    process.env.TESSERA_DATA_DIR = dataDir;
    process.env.TESSERA_DATABASE_URL = `sqlite:${join(dataDir, 'cli.sqlite')}`;
  });
  afterAll(async () => {
    await db?.destroy();
    delete process.env.TESSERA_DATA_DIR;
    delete process.env.TESSERA_DATABASE_URL;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('create without --password generates one, prints it once, and the stored digest verifies it', async () => {
    const result = JSON.parse(
      await run('create', '--username', 'root', '--email', 'root@example.com', '--admin', '--json'),
    ) as {
      id: number;
      username: string;
      is_admin: boolean;
      password: string;
    };
    rememberSecret(result.password);
    expect(result).toMatchObject({
      username: 'root',
      is_admin: true,
      password: expect.stringMatching(/^[\w-]{24}$/),
    });
    db = openDatabase(process.env.TESSERA_DATABASE_URL!);
    const stored = await findUserByUsername(db, 'root');
    expect(await verifyPassword(result.password, stored!.password_digest)).toBe(true);
    const [event] = await auditEvents(db, 'user.created');
    expect(event!.author_name).toMatch(/^cli:/);
  });

  it('create with --password prints no password', async () => {
    const password = newPassword();
    const printed = await run(
      'create',
      '--username',
      'alice',
      '--email',
      'alice@example.com',
      '--password',
      password,
    );
    expect(printed).toMatch(/^created user \d+ "alice"\n$/);
  });

  it('block and unblock a user by username', async () => {
    expect(JSON.parse(await run('block', '--username', 'alice', '--json'))).toMatchObject({
      state: 'blocked',
    });
    expect(await run('unblock', '--username', 'alice')).toBe('alice: active\n');
  });
});
