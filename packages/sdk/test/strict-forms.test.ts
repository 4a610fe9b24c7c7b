import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, SdkError, type Verifier } from '@tessera/sdk';
import { rememberSecret } from '../../../test/support/secrets.ts';
import { startLocalIssuer, type LocalIssuer } from './support/local-issuer.ts';

const AUDIENCE = 'gitlab-ai-gateway';
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SdkError);
  return (error as SdkError).reason;
}

describe('the verifier is strict about form, type and dates', () => {
  let issuer: LocalIssuer;
  let verifier: Verifier;
  let typed: Verifier;
  const sign = (expiresInSeconds?: number) =>
    issuer.authority
      .sign({ subject: 'instance-1', audience: AUDIENCE, scopes: ['complete_code'], expiresInSeconds })
      .then(({ token }) => rememberSecret(token));

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  /** Dated `iat` seconds from now, without nbf: only the iat rule can refuse it. */
  const issuedAt = (offsetSeconds: number) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: issuer.url, aud: AUDIENCE, scopes: [], iat: now + offsetSeconds })
      .setProtectedHeader({ alg: 'RS256', kid: issuer.authority.kid })
      .setExpirationTime(now + 3600)
      .sign(privateKey)
      .then(rememberSecret);
  };

  beforeAll(async () => {
    const pem = rememberSecret(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    issuer = await startLocalIssuer({ privateKey: pem });
    verifier = createVerifier({ issuers: [{ issuer: issuer.url }], audience: AUDIENCE });
    typed = createVerifier({ issuers: [{ issuer: issuer.url }], audience: AUDIENCE, type: 'at+jwt' });
  });
  afterAll(() => issuer.close());

  it('refuses the other spellings of a valid token: padding, whitespace, stray trailing bits', async () => {
    const token = await sign();
    const last = token.at(-1)!;
    const sameBytes = `${token.slice(0, -1)}${ALPHABET[ALPHABET.indexOf(last) ^ 1]}`;
    for (const spelling of [`${token}==`, `${token} `, sameBytes]) {
      expect(await reasonOf(verifier.verify(spelling))).toBe('malformed');
    }
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'instance-1' });
  });

  it('refuses a token issued beyond the clock tolerance in the future, and accepts one within it', async () => {
    await expect(verifier.verify(await issuedAt(3))).resolves.toBeDefined();
    const error = await verifier.verify(await issuedAt(600)).catch((caught: SdkError) => caught);
    expect(error).toBeInstanceOf(SdkError);
    expect([(error as SdkError).reason, (error as SdkError).message]).toEqual([
      'not_yet_valid',
      'the token was issued in the future',
    ]);
  });

  it('checks typ when told to: a "JWT" token is refused where "at+jwt" is required', async () => {
    expect(await reasonOf(typed.verify(await sign()))).toBe('wrong_type');
  });
});
