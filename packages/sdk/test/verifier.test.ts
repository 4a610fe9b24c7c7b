import { createHmac, createSign, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, MAX_TOKEN_BYTES, SdkError, type Verifier } from '@tessera/sdk';
import { rememberSecret } from '../../../test/support/secrets.ts';
import { startLocalIssuer, type LocalIssuer } from './support/local-issuer.ts';

const AUDIENCE = 'gitlab-ai-gateway';

async function rejection(promise: Promise<unknown>): Promise<SdkError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SdkError);
  return error as SdkError;
}

function pemKeyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = rememberSecret(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  return { privateKey, pem, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

describe('createVerifier', () => {
  const keyA = pemKeyPair();
  let issuerA: LocalIssuer;
  let issuerB: LocalIssuer;
  let verifier: Verifier;
  const instanceToken = (
    issuer: LocalIssuer,
    overrides: Partial<{ audience: string; scopes: string[]; expiresInSeconds: number }> = {},
  ) =>
    issuer.authority
      .sign({
        subject: 'instance-1',
        audience: overrides.audience ?? AUDIENCE,
        scopes: overrides.scopes ?? ['complete_code'],
        expiresInSeconds: overrides.expiresInSeconds,
      })
      .then(({ token }) => rememberSecret(token));
  /** A token signed with issuer A's key and kid whose header and claims the test chooses. */
  const forged = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      iss: issuerA.url,
      aud: AUDIENCE,
      sub: 'instance-1',
      scopes: ['complete_code'],
      iat: now,
      exp: now + 3600,
      ...claims,
    };
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: issuerA.authority.kid, ...header })
      .sign(keyA.privateKey);
  };
  /** Signs without jose, for headers jose refuses to produce. */
  const rawSigned = (header: Record<string, unknown>) => {
    const encode = (value: object) => base64url.encode(JSON.stringify(value));
    const input = `${encode({ alg: 'RS256', kid: issuerA.authority.kid, ...header })}.${encode({ iss: issuerA.url, aud: AUDIENCE, exp: 9_999_999_999, scopes: [] })}`;
    return `${input}.${createSign('RSA-SHA256').update(input).sign(keyA.privateKey).toString('base64url')}`;
  };

  beforeAll(async () => {
    issuerA = await startLocalIssuer({ privateKey: keyA.pem });
    issuerB = await startLocalIssuer({ algorithm: 'ES256' });
    verifier = createVerifier({
      issuers: [{ issuer: issuerA.url }, { issuer: issuerB.url }],
      audience: AUDIENCE,
    });
  });
  afterAll(async () => {
    await issuerA.close();
    await issuerB.close();
  });

  it('accepts RS256 and ES256 tokens from each configured issuer, returning typed claims', async () => {
    const fromA = await verifier.verify(await instanceToken(issuerA));
    const fromB = await verifier.verify(await instanceToken(issuerB, { scopes: ['duo_chat'] }));
    expect(fromA).toMatchObject({ iss: issuerA.url, sub: 'instance-1', scopes: ['complete_code'] });
    expect(fromB).toMatchObject({ iss: issuerB.url, scopes: ['duo_chat'] });
  });

  it('finds keys through discovery, once per issuer', async () => {
    await verifier.verify(await instanceToken(issuerA));
    expect(issuerA.discoveryRequests).toBe(1);
    expect(issuerA.jwksRequests).toBe(1);
  });

  it('refuses a token from an issuer it was not configured with', async () => {
    const stranger = await startLocalIssuer();
    try {
      const error = await rejection(verifier.verify(await instanceToken(stranger)));
      expect([error.code, error.reason, error.status]).toEqual(['invalid_token', 'unknown_issuer', 401]);
      expect(stranger.jwksRequests + stranger.discoveryRequests).toBe(0);
    } finally {
      await stranger.close();
    }
  });

  it("refuses a token signed with issuer A's key that claims to come from issuer B", async () => {
    const token = await forged({ iss: issuerB.url });
    const error = await rejection(verifier.verify(token));
    expect(error.code).toBe('invalid_token');
    expect(error.reason).toBe('unknown_kid');
  });

  it('refuses expired, not-yet-valid and wrong-audience tokens with invalid_token', async () => {
    const expired = await forged({ exp: Math.floor(Date.now() / 1000) - 60 });
    const early = await forged({ nbf: Math.floor(Date.now() / 1000) + 600 });
    const elsewhere = await instanceToken(issuerA, { audience: 'gitlab-duo-workflow-service' });
    expect((await rejection(verifier.verify(expired))).reason).toBe('expired');
    expect((await rejection(verifier.verify(early))).reason).toBe('not_yet_valid');
    expect((await rejection(verifier.verify(elsewhere))).reason).toBe('wrong_audience');
  });

  it('tolerates the configured clock skew on exp', async () => {
    const justExpired = await forged({ exp: Math.floor(Date.now() / 1000) - 2 });
    await expect(verifier.verify(justExpired)).resolves.toMatchObject({ sub: 'instance-1' });
  });

  it('requires exp and a scopes array', async () => {
    const noExp = await new SignJWT({ iss: issuerA.url, aud: AUDIENCE, scopes: [] })
      .setProtectedHeader({ alg: 'RS256', kid: issuerA.authority.kid })
      .sign(keyA.privateKey);
    expect((await rejection(verifier.verify(noExp))).reason).toBe('invalid_claims');
    expect((await rejection(verifier.verify(await forged({ scopes: 'complete_code' })))).reason).toBe(
      'invalid_claims',
    );
  });

  it('refuses alg "none" and an HS256 token keyed with the public key (algorithm confusion)', async () => {
    const payload = base64url.encode(
      JSON.stringify({ iss: issuerA.url, aud: AUDIENCE, exp: 9_999_999_999, scopes: [] }),
    );
    const noneHeader = base64url.encode(JSON.stringify({ alg: 'none', kid: issuerA.authority.kid }));
    const hsHeader = base64url.encode(JSON.stringify({ alg: 'HS256', kid: issuerA.authority.kid }));
    const hsSignature = createHmac('sha256', keyA.publicPem)
      .update(`${hsHeader}.${payload}`)
      .digest('base64url');
    for (const token of [`${noneHeader}.${payload}.`, `${hsHeader}.${payload}.${hsSignature}`]) {
      const error = await rejection(verifier.verify(token));
      expect([error.code, error.reason]).toEqual(['invalid_token', 'algorithm_not_allowed']);
    }
  });

  it('refuses an unknown critical header', async () => {
    await expect(verifier.verify(rawSigned({}))).resolves.toBeDefined();
    const token = rawSigned({ crit: ['urn:example:must-understand'], 'urn:example:must-understand': true });
    expect((await rejection(verifier.verify(token))).reason).toBe('unsupported');
  });

  it('never fetches a jku or x5u URL and never trusts an embedded jwk', async () => {
    let trap = 0;
    const server = createServer((_request, response) => {
      trap += 1;
      response.end('{"keys":[]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const trapUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/keys`;
    try {
      const withUrls = await forged({}, { jku: trapUrl, x5u: trapUrl });
      await expect(verifier.verify(withUrls)).resolves.toMatchObject({ sub: 'instance-1' });
      const attacker = pemKeyPair();
      const embedded = await new SignJWT({ iss: issuerA.url, aud: AUDIENCE, scopes: ['complete_code'] })
        .setProtectedHeader({
          alg: 'RS256',
          kid: issuerA.authority.kid,
          jwk: attacker.privateKey.export({ format: 'jwk' }),
        })
        .setExpirationTime('1h')
        .sign(attacker.privateKey);
      expect((await rejection(verifier.verify(embedded))).reason).toBe('bad_signature');
      expect(trap).toBe(0);
    } finally {
      server.close();
    }
  });

  it('refuses an oversized token before parsing it, and a token without kid', async () => {
    const huge = await forged({ padding: 'x'.repeat(MAX_TOKEN_BYTES) });
    expect((await rejection(verifier.verify(huge))).reason).toBe('token_too_large');
    expect((await rejection(verifier.verify(await forged({}, { kid: undefined })))).reason).toBe(
      'missing_kid',
    );
    expect((await rejection(verifier.verify('not.a.jwt'))).reason).toBe('malformed');
    expect((await rejection(verifier.verify(''))).reason).toBe('missing_token');
  });

  it('names the missing scope with insufficient_scope, and honours any-of checks', async () => {
    const token = await instanceToken(issuerA, { scopes: ['complete_code'] });
    const error = await rejection(verifier.verify(token, { scopes: ['complete_code', 'duo_chat'] }));
    expect([error.code, error.status, error.missingScopes]).toEqual([
      'insufficient_scope',
      403,
      ['duo_chat'],
    ]);
    expect(error.toJSON()).toEqual({
      error: 'insufficient_scope',
      error_description: 'the token lacks the scope duo_chat',
    });
    await expect(
      verifier.verify(token, { scopes: ['duo_chat', 'complete_code'], scopeMatch: 'any' }),
    ).resolves.toBeDefined();
  });

  it('refuses a configuration that names an issuer twice or gives two key sources', () => {
    expect(() => createVerifier({ issuers: [{ issuer: 'a' }, { issuer: 'a' }], audience: AUDIENCE })).toThrow(
      SdkError,
    );
    expect(() =>
      createVerifier({
        issuers: [{ issuer: 'a', jwksUri: 'http://x/1', discoveryUrl: 'http://x/2' }],
        audience: AUDIENCE,
      }),
    ).toThrow(/at most one/);
    expect(() => createVerifier({ issuers: [], audience: AUDIENCE })).toThrow(/at least one issuer/);
  });
});
