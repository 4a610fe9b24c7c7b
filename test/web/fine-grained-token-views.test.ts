import { describe, expect, it } from 'vitest';
import type { AccessToken } from '../../src/store/schema.ts';
import type { TokenInspection } from '../../src/tokens/access/token-inspector.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { tokenTable } from '../../src/web/pages/personal-access-tokens.view.ts';
import { inspectionResult } from '../../src/web/pages/token-inspector.view.ts';

const GRANTS = [
  { access: 'selected_memberships', permissions: ['download_code'], project_id: 7, group_id: null },
  { access: 'user', permissions: ['read_user'], project_id: null, group_id: null },
] as const;

const token: AccessToken = {
  id: 1,
  kind: 'personal',
  user_id: 2,
  resource_id: null,
  name: 'clone-only',
  description: '',
  digest: 'd',
  scopes: '[]',
  access_level: null,
  created_at: '2026-03-01T12:00:00.000Z',
  expires_at: '2026-04-01',
  revoked: 0,
  revoked_at: null,
  last_used_at: null,
  last_used_ips: '[]',
  previous_token_id: null,
  impersonation: 0,
  granular_scopes: JSON.stringify(GRANTS),
};

describe('fine-grained tokens in the web UI', () => {
  it('the token list says what a fine-grained token holds where, in place of scopes', () => {
    const page = tokenTable(
      [token],
      new ManualClock(new Date('2026-03-02T00:00:00.000Z')),
      'csrf',
    ).toString();
    expect(page).toContain('project 7: download_code; user: read_user');
  });

  it('the inspector lists the grants instead of scopes', () => {
    const found: TokenInspection = {
      token_type: 'personal_access_token',
      id: 1,
      name: 'clone-only',
      state: 'active',
      active: true,
      revoked: false,
      scopes: [],
      created_at: token.created_at,
      expires_at: token.expires_at,
      last_used_at: null,
      user_id: 2,
      owner: { id: 2, username: 'alice', bot: false },
      resource: null,
      access_level: null,
      granular_scopes: GRANTS.map((grant) => ({ ...grant, permissions: [...grant.permissions] })),
    };
    const page = inspectionResult(
      { kind: 'opaque', type: 'personal access token', prefix: 'glpat-', supported: true, found },
      'glpat-…',
    ).toString();
    expect(page).toContain('data-testid="inspection-granular-scopes"');
    expect(page).toContain('project 7: <code>download_code</code>');
    expect(page).not.toContain('data-testid="inspection-scopes"');
  });
});
