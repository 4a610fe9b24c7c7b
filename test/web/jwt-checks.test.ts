import { SignJWT, exportJWK, generateKeyPair, type JSONWebKeySet, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspectJwt, looksLikeJwt, type JwtCheck } from '../../src/web/inspector/jwt-checks.ts';

const ISSUER = 'https://tessera.example';
const NOW = new Date('2026-03-01T12:00:00.000Z');
const at = Math.floor(NOW.getTime() / 1000);

describe('the token inspector’s JWT checks', () => {
  let jwks: JSONWebKeySet;
  let sign: (claims: Record<string, unknown>, kid?: string) => Promise<string>;

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = { keys: [jwk] };
    sign = (claims, kid = 'k1') =>
      new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(privateKey);
  });

  const valid = { iss: ISSUER, aud: 'vault', iat: at - 10, nbf: at - 15, exp: at + 300 };
  const byName = (checks: JwtCheck[]) => Object.fromEntries(checks.map((check) => [check.name, check]));
  const inspect = (token: string, audience?: string) =>
    inspectJwt(token, { jwks, issuer: ISSUER, now: NOW, ...(audience ? { audience } : {}) });

  it('a token signed by a published key, for this issuer, in its lifetime passes every check', async () => {
    const { checks, claims, header, kind } = await inspect(
      await sign({ ...valid, job_id: '1', pipeline_id: '2' }),
      'vault',
    );
    expect(checks.map((check) => [check.name, check.pass])).toEqual([
      ['signature', true],
      ['iss', true],
      ['aud', true],
      ['time', true],
    ]);
    expect(header).toEqual({ alg: 'RS256', kid: 'k1', typ: 'JWT' });
    expect(claims.aud).toBe('vault');
    expect(kind).toBe('CI ID token');
  });

  it('a changed claim breaks the signature, and the claims still show', async () => {
    const [header, payload, signature] = (await sign(valid)).split('.') as [string, string, string];
    const changed = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), aud: 'aws' }),
    ).toString('base64url');
    const { checks, claims } = await inspect(`${header}.${changed}.${signature}`);
    expect(byName(checks).signature).toMatchObject({
      pass: false,
      detail: expect.stringContaining('does not match'),
    });
    expect(claims.aud).toBe('aws');
  });

  it('a kid the JWKS does not hold fails the signature check, saying so', async () => {
    const { checks } = await inspect(await sign(valid, 'gone'));
    expect(byName(checks).signature).toMatchObject({
      pass: false,
      detail: expect.stringContaining('no key'),
    });
  });

  it('an unsigned token (alg none) fails the signature check', async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${encode({ alg: 'none', kid: 'k1' })}.${encode(valid)}.`;
    expect(looksLikeJwt(unsigned)).toBe(true);
    const { checks } = await inspect(unsigned);
    expect(byName(checks).signature?.pass).toBe(false);
  });

  it('another issuer, a missing or other audience, and each time claim fail on their own', async () => {
    expect(
      byName((await inspect(await sign({ ...valid, iss: 'https://evil.example' }))).checks).iss?.pass,
    ).toBe(false);
    expect(byName((await inspect(await sign({ ...valid, aud: undefined }))).checks).aud).toMatchObject({
      pass: false,
      detail: 'no aud claim',
    });
    expect(byName((await inspect(await sign(valid), 'aws')).checks).aud?.pass).toBe(false);
    expect(byName((await inspect(await sign(valid))).checks).aud?.pass).toBe(true);
    expect(byName((await inspect(await sign({ ...valid, exp: at }))).checks).time).toMatchObject({
      pass: false,
      detail: 'expired at 2026-03-01T12:00:00.000Z',
    });
    expect(byName((await inspect(await sign({ ...valid, nbf: at + 60 }))).checks).time?.pass).toBe(false);
    expect(byName((await inspect(await sign({ ...valid, exp: undefined }))).checks).time?.detail).toBe(
      'no exp claim',
    );
  });

  it('an opaque token or random text is not taken for a JWT', () => {
    expect(looksLikeJwt('glpat-abcdefghijklmnopqrstuvwxyz')).toBe(false);
    expect(looksLikeJwt('a.b.c')).toBe(false);
  });
});
