import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  createVerifier,
  issueUserToken,
  SdkError,
  TokenAuthority,
  type CloudConnectorClaims,
} from '@tessera/sdk';
import { rememberSecret } from '../../../test/support/secrets.ts';

const SERVICE = 'gitlab-ai-gateway';

describe('TokenAuthority', () => {
  it('signs iat, nbf = iat - 5 s, exp, a jti and the scopes, with the RFC 7638 thumbprint as kid', async () => {
    const authority = await TokenAuthority.create({ issuer: SERVICE, now: () => 1_700_000_000_000 });
    const { token, expiresAt } = await authority.sign({
      subject: 'user-1',
      audience: SERVICE,
      scopes: ['complete_code'],
      expiresInSeconds: 600,
    });
    const header = decodeProtectedHeader(token);
    const claims = decodeJwt(token);
    const [jwk] = authority.jwks().keys;
    expect(header).toEqual({ alg: 'RS256', kid: authority.kid, typ: 'JWT' });
    expect(authority.kid).toBe(await calculateJwkThumbprint(jwk!));
    expect(jwk).toMatchObject({ kty: 'RSA', kid: authority.kid, alg: 'RS256', use: 'sig' });
    expect(jwk).not.toHaveProperty('d');
    expect(claims).toMatchObject({
      iss: SERVICE,
      sub: 'user-1',
      aud: SERVICE,
      iat: 1_700_000_000,
      nbf: 1_699_999_995,
      exp: 1_700_000_600,
    });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(expiresAt).toBe(1_700_000_600);
  });

  it('keeps registered claims out of reach of extraClaims, and caps the lifetime', async () => {
    const authority = await TokenAuthority.create({
      issuer: SERVICE,
      algorithm: 'ES256',
      maxLifetimeSeconds: 3600,
    });
    const { claims } = await authority.sign({
      subject: 'u',
      audience: SERVICE,
      scopes: [],
      extraClaims: { iss: 'evil', scopes: ['all'], team: 'x' },
    });
    expect(claims).toMatchObject({ iss: SERVICE, scopes: [], team: 'x' });
    await expect(
      authority.sign({ subject: 'u', audience: SERVICE, scopes: [], expiresInSeconds: 7200 }),
    ).rejects.toMatchObject({
      code: 'invalid_configuration',
    });
  });

  it('loads its key from a PEM, refusing a key that does not fit the algorithm', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = rememberSecret(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const authority = await TokenAuthority.create({ issuer: SERVICE, algorithm: 'ES256', privateKey: pem });
    const again = await TokenAuthority.create({ issuer: SERVICE, algorithm: 'ES256', privateKey: pem });
    expect(again.kid).toBe(authority.kid);
    await expect(
      TokenAuthority.create({ issuer: SERVICE, algorithm: 'RS256', privateKey: pem }),
    ).rejects.toBeInstanceOf(SdkError);
  });

  it('keeps a rotated-out key in its JWKS until the last token it signed expires', async () => {
    let clock = Date.now();
    const authority = await TokenAuthority.create({ issuer: SERVICE, algorithm: 'ES256', now: () => clock });
    const verifier = createVerifier({
      issuers: [authority.asIssuer()],
      audience: SERVICE,
      now: () => clock,
      verifiedCacheSize: 0,
    });
    const old = await authority.sign({ subject: 'u', audience: SERVICE, scopes: [], expiresInSeconds: 600 });
    const oldKid = authority.kid;
    const newKid = await authority.rotate();
    const fresh = await authority.sign({ subject: 'u', audience: SERVICE, scopes: [] });

    expect(newKid).not.toBe(oldKid);
    expect(authority.jwks().keys.map((key) => key.kid)).toEqual([newKid, oldKid]);
    await expect(verifier.verify(old.token)).resolves.toBeDefined();
    await expect(verifier.verify(fresh.token)).resolves.toBeDefined();
    clock += 700_000;
    expect(authority.jwks().keys.map((key) => key.kid)).toEqual([newKid]);
  });

  it('issues a user token from an instance token: caller scopes ∩ grantable, instance and realm carried', async () => {
    const authority = await TokenAuthority.create({ issuer: SERVICE, algorithm: 'ES256' });
    const caller = {
      iss: 'https://license.example',
      aud: SERVICE,
      exp: 9_999_999_999,
      sub: 'instance-uuid',
      gitlab_realm: 'self-managed',
      scopes: ['complete_code', 'duo_chat', 'duo_agent_platform'],
    } as CloudConnectorClaims;
    const { claims } = await issueUserToken(authority, {
      caller,
      userId: 'global-user',
      grantableScopes: ['complete_code', 'generate_code', 'duo_chat'],
    });
    expect(claims).toMatchObject({
      iss: SERVICE,
      aud: SERVICE,
      sub: 'global-user',
      scopes: ['complete_code', 'duo_chat'],
      gitlab_instance_id: 'instance-uuid',
      gitlab_realm: 'self-managed',
    });
    await expect(
      issueUserToken(authority, { caller, userId: 'u', grantableScopes: ['explain_code'] }),
    ).rejects.toMatchObject({ code: 'insufficient_scope' });
  });
});
