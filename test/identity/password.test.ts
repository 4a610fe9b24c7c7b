import { describe, expect, it } from 'vitest';
import { hashPassword, passwordProblem, verifyPassword } from '../../src/identity/password.ts';
import { rememberSecret } from '../support/secrets.ts';

describe('passwords', () => {
  it('are stored as scrypt with their parameters and a random salt, never in the clear', async () => {
    const password = rememberSecret('correct horse battery staple');
    const first = await hashPassword(password);
    const second = await hashPassword(password);
    expect(first).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(first).not.toBe(second);
    expect(first).not.toContain(password);
  });

  it('verify only with the right password', async () => {
    const password = rememberSecret('s3cret-passw0rd');
    const digest = await hashPassword(password);
    expect(await verifyPassword(password, digest)).toBe(true);
    expect(await verifyPassword('s3cret-passw0rD', digest)).toBe(false);
    expect(await verifyPassword('', digest)).toBe(false);
  });

  it('never verify against a missing or malformed digest, yet spend the same work on it', async () => {
    const password = rememberSecret('whatever-password');
    const digest = await hashPassword(password);
    await verifyPassword(password, null); // warm the dummy digest
    const time = async (run: () => Promise<boolean>) => {
      const started = process.hrtime.bigint();
      const result = await run();
      return { result, ms: Number(process.hrtime.bigint() - started) / 1e6 };
    };
    const missing = await time(() => verifyPassword(password, null));
    const wrong = await time(() => verifyPassword('another-password', digest));
    expect(missing.result).toBe(false);
    expect(wrong.result).toBe(false);
    expect(await verifyPassword(password, 'bcrypt$whatever')).toBe(false);
    // Same scrypt cost either way: the unknown-user path is not a shortcut.
    expect(missing.ms).toBeGreaterThan(wrong.ms / 3);
  });

  it('must be 8 to 128 characters long', () => {
    expect(passwordProblem('short')).toBe('is too short (minimum is 8 characters)');
    expect(passwordProblem('x'.repeat(129))).toBe('is too long (maximum is 128 characters)');
    expect(passwordProblem('long enough')).toBeNull();
  });
});
