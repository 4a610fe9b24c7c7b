import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { TokenAuthority } from '@tessera/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAiGateway } from '../../src/services/ai-gateway/build-ai-gateway.ts';
import { startLocalIssuer, type LocalIssuer } from '../../packages/sdk/test/support/local-issuer.ts';
import { serviceLogger } from '../services/support/test-issuer.ts';
import { rememberSecret } from '../support/secrets.ts';
import { sleep } from './support/load.ts';

/*
 * The license authority (a stand-in with a real TokenAuthority) goes down: the AI gateway keeps
 * verifying instance tokens from its cached keys, and once the authority is back it picks up a key
 * the authority rotated to in the meantime.
 */
describe('an issuer outage seen from the AI gateway', () => {
  let authority: LocalIssuer;
  let gateway: FastifyInstance;
  let url: string;
  const complete = async (token: string) =>
    (
      await fetch(`${url}/v2/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ current_file: { file_name: 'a.py', content_above_cursor: 'def a():\n' } }),
      })
    ).status;
  const instanceToken = async () =>
    rememberSecret(
      (
        await authority.authority.sign({
          subject: 'outage-instance',
          audience: 'gitlab-ai-gateway',
          scopes: ['complete_code'],
          expiresInSeconds: 600,
        })
      ).token,
    );

  beforeAll(async () => {
    authority = await startLocalIssuer();
    gateway = await buildAiGateway({
      issuers: [{ issuer: authority.url }],
      authority: await TokenAuthority.create({ issuer: 'gitlab-ai-gateway' }),
      // Revalidate often so the outage is actually noticed within the test's few seconds.
      verifier: { jwksMaxAgeSeconds: 1, unknownKidCooldownSeconds: 1, verifiedCacheSize: 0 },
      logger: serviceLogger('issuer-outage-gateway'),
    });
    await gateway.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await gateway.close();
    await authority.close();
  });

  it('keeps verifying from cached keys while the issuer is down, and learns its rotated key once it is back', async () => {
    expect(await complete(await instanceToken())).toBe(200);
    authority.down = true;
    const requestsBefore = authority.jwksRequests;
    const during: number[] = [];
    for (let i = 0; i < 15; i++) {
      during.push(await complete(await instanceToken()));
      await sleep(200);
    }
    expect(during.every((status) => status === 200)).toBe(true);

    await authority.authority.rotate();
    const rotated = await instanceToken();
    // Unknown key while the issuer cannot be asked: refused, and the cached keys stay in use.
    expect(await complete(rotated)).toBe(401);
    authority.down = false;
    let acceptedAfterMs: number | undefined;
    const back = Date.now();
    while (Date.now() - back < 5_000) {
      if ((await complete(rotated)) === 200) {
        acceptedAfterMs = Date.now() - back;
        break;
      }
      await sleep(100);
    }
    expect(acceptedAfterMs).toBeDefined();
    expect(authority.jwksRequests).toBeGreaterThan(requestsBefore);
  });
});
