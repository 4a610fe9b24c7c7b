import { describe, expect, it } from 'vitest';
import { idTokenClaims, userinfoClaims } from '../../src/tokens/oauth/oidc-claims.ts';

const alice = { id: 42, username: 'alice', name: 'Alice Liddell', email: 'alice@example.test' };
const base = 'https://tessera.example';

describe('OIDC claims', () => {
  it('share the profile with openid and the email only with the email scope', () => {
    expect(userinfoClaims(alice, ['openid'], base)).toEqual({
      sub: '42',
      name: 'Alice Liddell',
      nickname: 'alice',
      preferred_username: 'alice',
      profile: 'https://tessera.example/alice',
      website: '',
    });
    expect(userinfoClaims(alice, ['openid', 'email'], base)).toMatchObject({
      email: 'alice@example.test',
      email_verified: true,
    });
  });

  it('put the nonce and auth_time (in seconds) into the ID token, and leave sub to the signer', () => {
    const claims = idTokenClaims(alice, {
      scopes: ['openid'],
      externalUrl: base,
      nonce: 'n-0S6_WzA2Mj',
      authTime: '2026-03-01T12:00:00.000Z',
    });
    expect(claims).toMatchObject({
      nonce: 'n-0S6_WzA2Mj',
      auth_time: 1772366400,
      preferred_username: 'alice',
    });
    expect(claims).not.toHaveProperty('sub');
    expect(idTokenClaims(alice, { scopes: ['openid'], externalUrl: base })).not.toHaveProperty('nonce');
  });
});
