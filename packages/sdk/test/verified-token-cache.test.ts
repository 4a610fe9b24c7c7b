import { describe, expect, it } from 'vitest';
import { createVerifier, TokenAuthority, type IssuerConfig, type SdkError } from '@tessera/sdk';
import type { JSONWebKeySet } from 'jose';
import { rememberSecret } from '../../../test/support/secrets.ts';

const AUDIENCE = 'gitlab-duo-workflow-service';

/**
 * An in-process issuer whose published keys the test can withdraw: once they are gone, only a cache
 * hit can still accept a token.
 */
async function withdrawableIssuer() {
  const authority = await TokenAuthority.create({
    issuer: 'gitlab-duo-workflow-service',
    algorithm: 'ES256',
  });
  let published: JSONWebKeySet | undefined;
  const config: IssuerConfig = { issuer: authority.issuer, jwks: () => published ?? authority.jwks() };
  const sign = async (scopes: string[] = ['duo_agent_platform'], expiresInSeconds = 3600) =>
    rememberSecret(
      (await authority.sign({ subject: 'user-1', audience: AUDIENCE, scopes, expiresInSeconds })).token,
    );
  return {
    authority,
    config,
    sign,
    /** Publishes an empty key set and makes the verifier notice (a token with an unknown kid triggers a reload). */
    async withdrawKeys(verify: (token: string) => Promise<unknown>) {
      published = { keys: [] };
      const other = await TokenAuthority.create({ issuer: authority.issuer, algorithm: 'ES256' });
      const unknown = await other.sign({ subject: 'x', audience: AUDIENCE, scopes: [] });
      await verify(unknown.token).catch(() => undefined);
    },
  };
}

describe('the verified-token cache', () => {
  it('answers a repeated token from the cache, still checking scopes on every call', async () => {
    const issuer = await withdrawableIssuer();
    const verifier = createVerifier({ issuers: [issuer.config], audience: AUDIENCE, algorithms: ['ES256'] });
    const token = await issuer.sign(['duo_agent_platform']);
    await verifier.verify(token);
    await issuer.withdrawKeys((t) => verifier.verify(t));

    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'user-1' });
    const error = (await verifier
      .verify(token, { scopes: ['duo_chat'] })
      .catch((caught: unknown) => caught)) as SdkError;
    expect([error.code, error.missingScopes]).toEqual(['insufficient_scope', ['duo_chat']]);
    // A token never seen before really needs the (withdrawn) keys.
    await expect(verifier.verify(await issuer.sign())).rejects.toMatchObject({ reason: 'unknown_kid' });
  });

  it('forgets a token at its exp, so an expired token is verified again (and refused)', async () => {
    let clock = Date.now();
    const issuer = await withdrawableIssuer();
    const verifier = createVerifier({
      issuers: [issuer.config],
      audience: AUDIENCE,
      now: () => clock,
      clockTolerance: 0,
    });
    const token = await issuer.sign(['duo_agent_platform'], 60);
    await verifier.verify(token);
    clock += 61_000;
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'invalid_token', reason: 'expired' });
  });

  it('holds at most verifiedCacheSize tokens, evicting the least recently used', async () => {
    const issuer = await withdrawableIssuer();
    const verifier = createVerifier({ issuers: [issuer.config], audience: AUDIENCE, verifiedCacheSize: 2 });
    const [first, second, third] = [await issuer.sign(), await issuer.sign(), await issuer.sign()];
    await verifier.verify(first);
    await verifier.verify(second);
    await verifier.verify(first); // first is now the most recent
    await verifier.verify(third); // evicts second
    await issuer.withdrawKeys((t) => verifier.verify(t));
    await expect(verifier.verify(first)).resolves.toBeDefined();
    await expect(verifier.verify(third)).resolves.toBeDefined();
    await expect(verifier.verify(second)).rejects.toMatchObject({ reason: 'unknown_kid' });
  });
});
