import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadSettings, SettingsError } from '../../src/config/settings.ts';

describe('settings', () => {
  it('defaults to an embedded SQLite store under the data directory and a local external URL', () => {
    const settings = loadSettings({ TESSERA_DATA_DIR: '/tmp/tessera-x' });
    expect(settings.databaseUrl).toBe('sqlite:/tmp/tessera-x/tessera.sqlite');
    expect(settings.externalUrl).toBe('http://127.0.0.1:8080');
    expect(settings.signingAlgorithm).toBe('RS256');
    expect(settings.rolePorts['license-authority']).toBe(8081);
  });

  it('takes the external URL without a trailing slash, since it becomes every iss', () => {
    expect(loadSettings({ TESSERA_EXTERNAL_URL: 'https://gitlab.example.com/' }).externalUrl).toBe(
      'https://gitlab.example.com',
    );
  });

  it.each([
    ['TESSERA_PORT', 'eighty'],
    ['TESSERA_PORT', '70000'],
    ['TESSERA_EXTERNAL_URL', 'not a url'],
    ['TESSERA_EXTERNAL_URL', 'https://x.test/?a=b'],
    ['TESSERA_DATABASE_URL', 'mysql://x'],
    ['TESSERA_SIGNING_ALGORITHM', 'HS256'],
    ['TESSERA_KEY_ENCRYPTION_KEY', 'c2hvcnQ'],
    ['TESSERA_TOKEN_PREFIX', 'Has-Dash'],
    ['TESSERA_KEY_ROTATION_INTERVAL', '-5'],
    ['TESSERA_ROOT_PASSWORD', 'short'],
  ])('refuses %s=%s with an error naming the setting', (name, value) => {
    let caught: unknown;
    try {
      loadSettings({ [name]: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SettingsError);
    expect((caught as SettingsError).setting).toBe(name);
    expect((caught as Error).message.startsWith(`${name}: `)).toBe(true);
  });

  it('accepts PostgreSQL URLs and a 32-byte base64url key', () => {
    const key = Buffer.alloc(32, 7).toString('base64url');
    const settings = loadSettings({
      TESSERA_DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
      TESSERA_KEY_ENCRYPTION_KEY: key,
      TESSERA_SIGNING_ALGORITHM: 'ES256',
    });
    expect(settings.databaseUrl).toBe('postgres://u@127.0.0.1:5432/db');
    expect(settings.keyEncryptionKey).toBe(key);
    expect(settings.signingAlgorithm).toBe('ES256');
  });

  it('every setting it reads is documented in the README’s configuration table', () => {
    const source = readFileSync(new URL('../../src/config/settings.ts', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const read = new Set([...source.matchAll(/'(TESSERA_[A-Z_]+)'/g)].map((match) => match[1]!));
    // The role ports share one row: `TESSERA_<ROLE>_PORT` with the role names listed.
    const documented = (name: string) =>
      readme.includes(`\`${name}\``) ||
      (/^TESSERA_[A-Z_]+_PORT$/.test(name) && readme.includes(`\`${name.slice(8, -5)}\``));
    expect([...read].filter((name) => !documented(name))).toEqual([]);
  });
});
