import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, SdkError, TokenAuthority } from '@tessera/sdk';
import { cloudConnectorAuth, replyWithSdkError } from '@tessera/sdk/fastify';
import { rememberSecret } from '../../../test/support/secrets.ts';

const AUDIENCE = 'gitlab-ai-gateway';

describe('the Fastify plugin', () => {
  let app: FastifyInstance;
  let authority: TokenAuthority;
  const token = async (
    scopes: string[],
    extraClaims: Record<string, unknown> = { gitlab_realm: 'self-managed' },
  ) =>
    rememberSecret(
      (await authority.sign({ subject: 'instance-1', audience: AUDIENCE, scopes, extraClaims })).token,
    );
  const post = (authorization: string | undefined, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/v2/completions',
      headers: { ...headers, ...(authorization ? { authorization } : {}) },
      payload: {},
    });

  beforeAll(async () => {
    authority = await TokenAuthority.create({ issuer: 'https://license.example', algorithm: 'ES256' });
    app = Fastify();
    await app.register(cloudConnectorAuth, {
      verifier: createVerifier({ issuers: [authority.asIssuer()], audience: AUDIENCE }),
    });
    app.post('/v2/completions', { config: { scopes: ['complete_code'] } }, async (request) => ({
      sub: request.cloudConnector.sub,
    }));
    app.get('/any-token', async (request) => ({ scopes: request.cloudConnector.scopes }));
    app.get('/monitoring/healthz', { config: { public: true } }, async () => ({ status: 'ok' }));
    app.get('/refuse', async (_request, reply) =>
      replyWithSdkError(
        reply,
        new SdkError('insufficient_scope', 'missing_scope', 'no', { missingScopes: ['x'] }),
      ),
    );
    await app.ready();
  });
  afterAll(() => app.close());

  it('lets a token with the route scope through, with its claims on request.cloudConnector', async () => {
    const response = await post(`Bearer ${await token(['complete_code'])}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ sub: 'instance-1' });
  });

  it('answers 403 insufficient_scope naming the missing scope', async () => {
    const response = await post(`Bearer ${await token(['duo_chat'])}`);
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({
      error: 'insufficient_scope',
      error_description: 'the token lacks the scope complete_code',
    });
    expect(response.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", scope="complete_code"',
    );
  });

  it('answers 401 invalid_token for a bad token, and a bare challenge when none is sent', async () => {
    const bad = await post('Bearer not-a-token');
    expect(bad.statusCode).toBe(401);
    expect(bad.json()).toMatchObject({ error: 'invalid_token' });
    expect(bad.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    const none = await post(undefined);
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({
      error: 'invalid_token',
      error_description: 'no bearer token was presented',
    });
    expect(none.headers['www-authenticate']).toBe('Bearer');
  });

  it('refuses a request whose X-Gitlab-Realm or X-Gitlab-Instance-Id differs from the token', async () => {
    const valid = `Bearer ${await token(['complete_code'])}`;
    expect(
      (await post(valid, { 'x-gitlab-realm': 'self-managed', 'x-gitlab-instance-id': 'instance-1' }))
        .statusCode,
    ).toBe(200);
    const wrongRealm = await post(valid, { 'x-gitlab-realm': 'saas' });
    const wrongInstance = await post(valid, { 'x-gitlab-instance-id': 'instance-2' });
    expect([wrongRealm.statusCode, wrongInstance.statusCode]).toEqual([401, 401]);
    expect(wrongRealm.json().error_description).toMatch(/X-Gitlab-Realm/);
  });

  it('authenticates routes without a scopes option (secure by default) and skips public ones', async () => {
    expect((await app.inject({ method: 'GET', url: '/any-token' })).statusCode).toBe(401);
    const authed = await app.inject({
      method: 'GET',
      url: '/any-token',
      headers: { authorization: `Bearer ${await token([])}` },
    });
    expect(authed.json()).toEqual({ scopes: [] });
    expect((await app.inject({ method: 'GET', url: '/monitoring/healthz' })).json()).toEqual({
      status: 'ok',
    });
  });

  it('lets a handler send an SdkError as an RFC 6750 reply', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/refuse',
      headers: { authorization: `Bearer ${await token([])}` },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({ error: 'insufficient_scope', error_description: 'no' });
  });
});
