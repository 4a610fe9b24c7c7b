import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenAuthority } from '@tessera/sdk';
import { buildAiGateway } from '../../src/services/ai-gateway/build-ai-gateway.ts';
import type { TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { serviceLogger } from '../services/support/test-issuer.ts';
import {
  startCloudInstance,
  startTestAuthority,
  storedInstanceToken,
  userWithToken,
  type TestAuthority,
} from './support/cloud-world.ts';
import { request } from './support/http.ts';

/** The gateway's cooldown between kid-driven refetches, short so the test can pass one. */
const COOLDOWN_SECONDS = 3;

/*
 * Acceptance 5 against the real license authority: its keys rotate while the gateway runs; tokens of
 * the old key keep verifying, a token of the new key is accepted after one refetch, and a flood of
 * unknown kids costs the authority at most one JWKS request per cooldown.
 */
describe("rotating the license authority's keys while the gateway runs", () => {
  let authority: TestAuthority;
  let instance: TestInstance;
  let admin: { token: string };
  let gateway: FastifyInstance;
  let gatewayUrl = '';
  const exchange = (instanceToken: string) =>
    request('POST', `${gatewayUrl}/v1/code/user_access_token`, {
      bearer: instanceToken,
      headers: { 'X-Gitlab-Global-User-Id': 'user-1' },
    });
  const sync = () =>
    request('POST', `${instance.url}/api/v4/admin/cloud_connector/sync`, { token: admin.token });

  beforeAll(async () => {
    authority = await startTestAuthority();
    instance = await startCloudInstance({ authorityUrl: authority.url });
    admin = await userWithToken(instance, { admin: true });
    const license = await authority.createLicense([{ name: 'duo_pro', seats: 1 }]);
    await request('POST', `${instance.url}/api/v4/admin/cloud_connector/activate`, {
      token: admin.token,
      body: { activation_code: license.code },
    });
    gateway = await buildAiGateway({
      issuers: [{ issuer: authority.url }],
      authority: await TokenAuthority.create({ issuer: 'gitlab-ai-gateway' }),
      logger: serviceLogger('ai-gateway-rotation'),
      verifier: { unknownKidCooldownSeconds: COOLDOWN_SECONDS },
    });
    await gateway.listen({ host: '127.0.0.1', port: 0 });
    gatewayUrl = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await gateway?.close();
    await instance?.stop();
    await authority?.stop();
  });

  it('keeps old tokens valid and accepts the new key after one refetch', async () => {
    const old = await storedInstanceToken(instance);
    const first = await exchange(old);
    expect(first.status).toBe(200);
    rememberSecret(first.body.token);
    const fetchedOnce = await authority.jwksRequests();
    expect(fetchedOnce).toBe(1);

    // Two rotations: the key that becomes active was created by the first, after the gateway's fetch.
    for (let i = 0; i < 2; i++) {
      const rotated = await request('POST', `${authority.url}/api/v1/admin/signing_keys/rotate`, {
        bearer: authority.adminToken,
      });
      expect(rotated.status).toBe(200);
    }
    await new Promise((resolve) => setTimeout(resolve, COOLDOWN_SECONDS * 1000));
    expect((await sync()).body.sync.last_error).toBeNull();
    const fresh = await storedInstanceToken(instance);
    expect(decodeProtectedHeader(fresh).kid).not.toBe(decodeProtectedHeader(old).kid);

    const accepted = await exchange(fresh);
    expect(accepted.status).toBe(200);
    rememberSecret(accepted.body.token);
    expect(await authority.jwksRequests()).toBe(fetchedOnce + 1);

    const published = (await request('GET', `${authority.url}/oauth/discovery/keys`)).body;
    expect(published.keys.map((k: { kid: string }) => k.kid)).toContain(decodeProtectedHeader(old).kid);
    const again = await exchange(old);
    expect(again.status).toBe(200);
    rememberSecret(again.body.token);
  });

  it('1,000 tokens with random unknown kids cost at most one JWKS request per cooldown', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const instanceId = decodeJwt(await storedInstanceToken(instance)).sub!;
    const forged = await Promise.all(
      Array.from({ length: 1000 }, () =>
        new SignJWT({ scopes: ['complete_code'], gitlab_realm: 'self-managed' })
          .setProtectedHeader({ alg: 'ES256', kid: randomBytes(16).toString('base64url') })
          .setIssuer(authority.url)
          .setAudience('gitlab-ai-gateway')
          .setSubject(instanceId)
          .setIssuedAt()
          .setExpirationTime('10m')
          .sign(privateKey),
      ),
    );
    const before = await authority.jwksRequests();
    const started = Date.now();
    const statuses: number[] = [];
    for (let i = 0; i < forged.length; i += 50) {
      const batch = forged.slice(i, i + 50).map((token) => exchange(token).then((answer) => answer.status));
      statuses.push(...(await Promise.all(batch)));
    }
    const elapsedSeconds = (Date.now() - started) / 1000;
    expect(new Set(statuses)).toEqual(new Set([401]));
    const refetches = (await authority.jwksRequests()) - before;
    expect(refetches).toBeLessThanOrEqual(1 + Math.floor(elapsedSeconds / COOLDOWN_SECONDS));
  });
});
