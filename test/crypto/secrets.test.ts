import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  constantTimeEqual,
  Digester,
  randomAlphanumeric,
  randomSecret,
  SecretBox,
} from '../../src/crypto/secrets.ts';

describe('secrets', () => {
  it('a random secret carries at least 160 bits', () => {
    expect(Buffer.from(randomSecret(), 'base64url').length * 8).toBeGreaterThanOrEqual(160);
    expect(randomSecret()).not.toBe(randomSecret());
  });

  it('an alphanumeric code has the length asked for and only letters and digits, so it never reads as an option', () => {
    const codes = Array.from({ length: 2000 }, () => randomAlphanumeric(24));
    for (const code of codes) expect(code).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(new Set(codes).size).toBe(codes.length);
    // Every one of the 62 characters turns up: none is left out of the alphabet.
    expect(new Set(codes.join('')).size).toBe(62);
  });

  it('digests are keyed: the same secret under another key digests differently', () => {
    const a = new Digester(randomBytes(32));
    const b = new Digester(randomBytes(32));
    expect(a.digest('glpat-x')).toBe(a.digest('glpat-x'));
    expect(a.digest('glpat-x')).not.toBe(b.digest('glpat-x'));
  });

  it('compares equal and unequal strings of any length', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
  });

  it('a sealed secret opens only under its own context and key', () => {
    const key = randomBytes(32);
    const box = new SecretBox(key);
    const sealed = box.seal('gldt-secret', 'deploy_token:1');
    expect(sealed).not.toContain('gldt-secret');
    expect(box.open(sealed, 'deploy_token:1')).toBe('gldt-secret');
    expect(() => box.open(sealed, 'deploy_token:2')).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'deploy_token:1')).toThrow();
  });
});
