import { describe, expect, it } from 'vitest';
import type { TokenInspection, TokenInspector } from '../../src/tokens/access/token-inspector.ts';
import {
  inspectCredential,
  type CredentialInspectionDeps,
} from '../../src/web/inspector/inspect-credential.ts';

const inspection: TokenInspection = {
  token_type: 'deploy_token',
  id: 3,
  name: 'cluster',
  state: 'active',
  active: true,
  revoked: false,
  scopes: ['read_registry'],
  created_at: '2026-03-01T12:00:00.000Z',
  expires_at: null,
  last_used_at: null,
  user_id: null,
  owner: null,
  resource: { type: 'project', id: 9 },
  access_level: null,
};

/** An inspector that knows one secret of its prefix. */
const inspectorOf = (prefix: string, known: string): TokenInspector => ({
  prefix,
  inspect: async (plaintext) => (plaintext === known ? inspection : null),
  revoke: async () => null,
});

const deps = (inspectors: TokenInspector[], instancePrefix = ''): CredentialInspectionDeps => ({
  inspectors,
  instancePrefix,
  jwks: async () => ({ keys: [] }),
  issuer: 'https://tessera.example',
  now: () => new Date('2026-03-01T12:00:00.000Z'),
});

describe('identifying a pasted credential', () => {
  it('asks the inspector of its prefix, behind the instance prefix too', async () => {
    const d = deps([inspectorOf('gldt-', 'acme-gldt-known')], 'acme');
    expect(await inspectCredential('acme-gldt-known', d)).toEqual({
      kind: 'opaque',
      prefix: 'gldt-',
      type: 'deploy token',
      supported: true,
      found: inspection,
    });
    expect(await inspectCredential('acme-gldt-other', d)).toMatchObject({ supported: true, found: null });
  });

  it('names a platform prefix nobody inspects yet, without looking it up', async () => {
    expect(await inspectCredential('glrt-abcdefghijklmnop', deps([]))).toEqual({
      kind: 'opaque',
      prefix: 'glrt-',
      type: 'runner authentication token',
      supported: false,
      found: null,
    });
  });

  it('trusts an inspector for a prefix the table does not list', async () => {
    const result = await inspectCredential('glnew-1', deps([inspectorOf('glnew-', 'glnew-1')]));
    expect(result).toMatchObject({ kind: 'opaque', type: 'token with prefix glnew-', supported: true });
  });

  it('calls anything else unrecognised, and refuses oversized input before any work', async () => {
    expect(await inspectCredential('hunter2', deps([]))).toEqual({ kind: 'unknown' });
    expect(await inspectCredential('', deps([]))).toEqual({ kind: 'unknown' });
    expect(await inspectCredential(`glpat-${'a'.repeat(9000)}`, deps([]))).toEqual({ kind: 'unknown' });
  });
});
