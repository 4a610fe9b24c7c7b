import { createVerifier } from '@tessera/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/audit/audit-log.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { createUser } from '../support/world.ts';
import { depsOf, givePat } from '../tokens/token-fixtures.ts';
import { driveLoad, LOAD_SECONDS, sleep } from './support/load.ts';

/*
 * Two key rotations while autocannon drives PAT authentication, token issuance and JWKS reads, and a
 * verifier checks JWTs the instance signs against its published JWKS: not one valid request may fail.
 */
describe('key rotation under load', () => {
  let instance: TestInstance;
  let pat: string;

  beforeAll(async () => {
    instance = await startTestInstance({ name: 'rotation-under-load', env: { TESSERA_LOG_LEVEL: 'warn' } });
    const user = await createUser(instance.context.db);
    pat = (await givePat(depsOf(instance), user, ['api'])).plaintext;
  });
  afterAll(() => instance.stop());

  it(`loses no request while the instance key rotates twice in ${LOAD_SECONDS} s`, async () => {
    const { context, url } = instance;
    const kidsBefore = (await context.keys.jwks('instance')).keys.map((key) => key.kid);
    const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const load = driveLoad({
      url,
      seconds: LOAD_SECONDS,
      connections: 6,
      requests: [
        { method: 'GET', path: '/api/v4/user', headers: { 'private-token': pat } },
        { method: 'GET', path: '/oauth/discovery/keys' },
        {
          method: 'POST',
          path: '/api/v4/user/personal_access_tokens',
          headers: { 'private-token': pat, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'load', scopes: ['read_api'], expires_at: expiresAt }),
        },
      ],
    });

    // A resource server verifying the instance's JWTs by its JWKS. The SDK refetches a key set at most
    // once per cooldown (30 s by default, counted from the first load), and the second rotation
    // activates a key published only at the first: a verifier must be allowed to look again between
    // two rotations, so this one revalidates every second.
    const verifier = createVerifier({
      issuers: [{ issuer: context.settings.externalUrl, jwksUri: `${url}/oauth/discovery/keys` }],
      audience: 'reliability-suite',
      jwksMaxAgeSeconds: 1,
      unknownKidCooldownSeconds: 1,
    });
    const verification = { ok: 0, failures: [] as string[] };
    const deadline = Date.now() + LOAD_SECONDS * 1000;
    const verifying = (async () => {
      while (Date.now() < deadline) {
        const token = await context.keys.signJwt(
          'instance',
          { scopes: [] },
          { expiresInSeconds: 60, audience: 'reliability-suite', subject: 'load' },
        );
        rememberSecret(token);
        try {
          await verifier.verify(token);
          verification.ok += 1;
        } catch (error) {
          verification.failures.push((error as Error).message);
        }
        await sleep(20);
      }
    })();

    const kids: string[] = [];
    for (const at of [0.3, 0.65]) {
      await sleep(Math.max(0, deadline - LOAD_SECONDS * 1000 * (1 - at) - Date.now()));
      kids.push((await context.keys.rotate('instance', SYSTEM_ACTOR)).activated);
    }
    const [result] = await Promise.all([load, verifying]);

    // The first rotation activates the key published ahead; the second one a key verifiers met mid-run.
    expect(kidsBefore).toContain(kids[0]);
    expect(kidsBefore).not.toContain(kids[1]);
    expect({ non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts }).toEqual({
      non2xx: 0,
      errors: 0,
      timeouts: 0,
    });
    expect(result.requests).toBeGreaterThan(LOAD_SECONDS * 10);
    expect(verification.failures).toEqual([]);
    expect(verification.ok).toBeGreaterThan(LOAD_SECONDS * 5);
  });
});
