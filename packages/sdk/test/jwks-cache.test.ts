import { randomBytes } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVerifier, type SdkError, type Verifier } from '@tessera/sdk';
import { rememberSecret } from '../../../test/support/secrets.ts';
import { startLocalIssuer, type LocalIssuer } from './support/local-issuer.ts';

const AUDIENCE = 'gitlab-ai-gateway';
/** A key no issuer publishes. */
const { privateKey: randomKey } = await generateKeyPair('ES256');

describe('the per-issuer key cache', () => {
  let clock: number;
  const now = () => clock;
  let issuer: LocalIssuer;
  let verifier: Verifier;
  const fetchErrors: string[] = [];
  const token = async () =>
    rememberSecret(
      (await issuer.authority.sign({ subject: 'instance-1', audience: AUDIENCE, scopes: ['complete_code'] }))
        .token,
    );

  beforeEach(async () => {
    clock = Date.now();
    issuer = await startLocalIssuer({ algorithm: 'ES256', now });
    verifier = createVerifier({
      issuers: [{ issuer: issuer.url }],
      audience: AUDIENCE,
      now,
      unknownKidCooldownSeconds: 30,
      jwksMaxAgeSeconds: 600,
      verifiedCacheSize: 0,
      onKeyFetchError: (error) => fetchErrors.push(error.message),
    });
  });
  afterEach(() => issuer.close());

  it('lets 1,000 tokens with made-up kids cause at most one JWKS refetch per cooldown', async () => {
    await verifier.verify(await token());
    expect(issuer.jwksRequests).toBe(1);
    clock += 31_000;
    const forgeries = await Promise.all(
      Array.from({ length: 1000 }, () =>
        new SignJWT({ iss: issuer.url, aud: AUDIENCE, exp: Math.floor(clock / 1000) + 60, scopes: [] })
          .setProtectedHeader({ alg: 'ES256', kid: randomBytes(16).toString('base64url') })
          .sign(randomKey),
      ),
    );
    const refusals = await Promise.allSettled(forgeries.map((forgery) => verifier.verify(forgery)));
    expect(
      refusals.every((r) => r.status === 'rejected' && (r.reason as SdkError).reason === 'unknown_kid'),
    ).toBe(true);
    expect(issuer.jwksRequests).toBe(2);
    // Within the cooldown, another wave costs the issuer nothing.
    await Promise.allSettled(forgeries.slice(0, 100).map((forgery) => verifier.verify(forgery)));
    expect(issuer.jwksRequests).toBe(2);
  });

  it('accepts a token signed with a rotated key after one refetch, and keeps accepting the old key', async () => {
    const before = await token();
    await verifier.verify(before);
    clock += 31_000;
    await issuer.authority.rotate();
    const after = await token();
    await expect(verifier.verify(after)).resolves.toMatchObject({ sub: 'instance-1' });
    await expect(verifier.verify(before)).resolves.toMatchObject({ sub: 'instance-1' });
    expect(issuer.jwksRequests).toBe(2);
  });

  it('waits out the cooldown before looking for a key it just failed to find', async () => {
    await verifier.verify(await token());
    await issuer.authority.rotate();
    const rotated = await token();
    const error = (await verifier.verify(rotated).catch((caught: unknown) => caught)) as SdkError;
    expect(error.reason).toBe('unknown_kid');
    clock += 31_000;
    await expect(verifier.verify(rotated)).resolves.toBeDefined();
    expect(issuer.jwksRequests).toBe(2);
  });

  it('revalidates a stale set on schedule even right after an on-demand fetch for an unknown kid', async () => {
    const short = createVerifier({
      issuers: [{ issuer: issuer.url }],
      audience: AUDIENCE,
      now,
      unknownKidCooldownSeconds: 30,
      jwksMaxAgeSeconds: 10,
      verifiedCacheSize: 0,
    });
    await short.verify(await token());
    expect(issuer.jwksRequests).toBe(1);
    clock += 31_000;
    const forgery = await new SignJWT({ iss: issuer.url, aud: AUDIENCE, exp: Math.floor(clock / 1000) + 60 })
      .setProtectedHeader({ alg: 'ES256', kid: randomBytes(16).toString('base64url') })
      .sign(randomKey);
    await short.verify(forgery).catch(() => undefined);
    expect(issuer.jwksRequests).toBe(2);
    // Stale 11 s later — well inside the unknown-kid cooldown — and revalidated all the same.
    clock += 11_000;
    await short.verify(await token());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(issuer.jwksRequests).toBe(3);
  });

  it('keeps verifying with cached keys while the issuer is unreachable, even past their max age', async () => {
    const valid = await token();
    await verifier.verify(valid);
    issuer.down = true;
    clock += 300_000; // five minutes
    await expect(verifier.verify(await token())).resolves.toBeDefined();
    clock += 900_000; // beyond the 10-minute max age: revalidation fails, cached keys stay
    await expect(verifier.verify(await token())).resolves.toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(verifier.verify(await token())).resolves.toBeDefined();
    expect(fetchErrors.length).toBeGreaterThan(0);
  });

  it('refuses with keys_unavailable when an issuer was never reachable', async () => {
    issuer.down = true;
    const error = (await verifier.verify(await token()).catch((caught: unknown) => caught)) as SdkError;
    expect([error.code, error.reason]).toEqual(['invalid_token', 'keys_unavailable']);
  });

  it('refuses keys from a discovery document that names another issuer', async () => {
    const confused = createVerifier({
      issuers: [
        { issuer: 'https://other.example', discoveryUrl: `${issuer.url}/.well-known/openid-configuration` },
      ],
      audience: AUDIENCE,
    });
    const forgery = await new SignJWT({
      iss: 'https://other.example',
      aud: AUDIENCE,
      exp: 9_999_999_999,
      scopes: [],
    })
      .setProtectedHeader({ alg: 'ES256', kid: issuer.authority.kid })
      .sign(randomKey);
    const error = (await confused.verify(forgery).catch((caught: unknown) => caught)) as SdkError;
    expect(error.reason).toBe('keys_unavailable');
    expect(issuer.jwksRequests).toBe(0);
  });
});
