import { describe, expect, it } from 'vitest';
import { TesseraError } from '../../src/errors/tessera-error.ts';
import {
  isAccessTokenExpired,
  rotationExpiry,
  validateExpiry,
} from '../../src/tokens/access/access-token-expiry.ts';
import {
  accessTokenPrefix,
  assertUsableGivenSecret,
  mintAccessTokenSecret,
} from '../../src/tokens/access/access-token-secret.ts';
import { grantableScopes, validateScopes } from '../../src/tokens/access/scopes.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { rememberSecret } from '../support/secrets.ts';

const person = { kind: 'person', isAdmin: false } as const;
const admin = { kind: 'person', isAdmin: true } as const;
const bot = { kind: 'bot' } as const;

function refusal(fn: () => unknown): { code: string; field: string | undefined; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof TesseraError)
      return { code: error.code, field: error.details.field, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('access token secrets', () => {
  it('carry the glpat- prefix and at least 160 random bits', () => {
    const secret = rememberSecret(mintAccessTokenSecret(''));
    expect(secret).toMatch(/^glpat-[A-Za-z0-9_-]{32}$/);
    // 32 base64url characters are 192 bits.
    expect(Buffer.from(secret.slice('glpat-'.length), 'base64url').length * 8).toBeGreaterThanOrEqual(160);
    expect(rememberSecret(mintAccessTokenSecret(''))).not.toBe(secret);
  });

  it('carry the instance prefix in front when one is set', () => {
    expect(accessTokenPrefix('acme')).toBe('acme-glpat-');
    expect(rememberSecret(mintAccessTokenSecret('acme'))).toMatch(/^acme-glpat-[A-Za-z0-9_-]{32}$/);
  });

  it('chosen by a seed must look like ours and be at least 20 characters, and the refusal never repeats it', () => {
    expect(() => assertUsableGivenSecret('glpat-0123456789abcdefXYZ', '')).not.toThrow();
    expect(() => assertUsableGivenSecret('acme-glpat-0123456789abcdef', 'acme')).not.toThrow();
    const short = refusal(() => assertUsableGivenSecret('glpat-short', ''));
    expect(short).toMatchObject({ code: 'bad_request', field: 'token' });
    expect(short.message).not.toContain('glpat-short');
    expect(refusal(() => assertUsableGivenSecret('ghp_0123456789abcdefghijkl', ''))).toMatchObject({
      field: 'token',
    });
  });
});

describe('access token scopes', () => {
  it('let people have every non-admin scope, admins also sudo and admin_mode', () => {
    expect(grantableScopes(person)).toContain('read_user');
    expect(grantableScopes(person)).not.toContain('sudo');
    expect(grantableScopes(admin)).toEqual(expect.arrayContaining(['sudo', 'admin_mode']));
    expect(grantableScopes(person)).toEqual(
      expect.arrayContaining(['k8s_proxy', 'self_rotate', 'ai_features']),
    );
  });

  it('give bots neither read_user nor an admin scope', () => {
    expect(grantableScopes(bot)).not.toContain('read_user');
    expect(grantableScopes(bot)).not.toContain('sudo');
    expect(grantableScopes(bot)).not.toContain('admin_mode');
    expect(refusal(() => validateScopes(['api', 'read_user'], bot))).toMatchObject({
      code: 'bad_request',
      field: 'scopes',
    });
  });

  it('refuse an unknown scope, an admin scope for a non-admin and an empty list with a 400 naming scopes', () => {
    expect(refusal(() => validateScopes(['api', 'write_everything'], person))).toMatchObject({
      field: 'scopes',
    });
    expect(refusal(() => validateScopes(['sudo'], person))).toMatchObject({ field: 'scopes' });
    expect(refusal(() => validateScopes([], person))).toMatchObject({
      field: 'scopes',
      message: 'scopes is missing',
    });
  });

  it('deduplicate the scopes asked for', () => {
    expect(validateScopes(['api', 'api', ' read_api '], person)).toEqual(['api', 'read_api']);
  });
});

describe('access token expiry', () => {
  const clock = new ManualClock('2026-03-01T12:00:00.000Z');

  it('is required, after today and at most the policy ahead', () => {
    expect(validateExpiry('2026-03-02', clock, 365)).toBe('2026-03-02');
    expect(validateExpiry('2027-03-01', clock, 365)).toBe('2027-03-01');
    expect(validateExpiry('2026-04-01T00:00:00Z', clock, 365)).toBe('2026-04-01');
    for (const bad of [
      undefined,
      '',
      '2026-03-01',
      '2026-02-28',
      '2027-03-02',
      '2026-02-30',
      'tomorrow',
      20260401,
    ]) {
      expect(refusal(() => validateExpiry(bad, clock, 365))).toMatchObject({
        code: 'bad_request',
        field: 'expires_at',
      });
    }
  });

  it('ends at 00:00 UTC of the expiry date', () => {
    const at = new ManualClock('2026-03-01T23:59:59.000Z');
    expect(isAccessTokenExpired('2026-03-02', at)).toBe(false);
    at.advance(1);
    expect(isAccessTokenExpired('2026-03-02', at)).toBe(true);
  });

  it('of a rotated token defaults to a week ahead', () => {
    expect(rotationExpiry(undefined, clock, 365)).toBe('2026-03-08');
    expect(rotationExpiry(undefined, clock, 3)).toBe('2026-03-04');
    expect(rotationExpiry('2026-05-01', clock, 365)).toBe('2026-05-01');
  });
});
