import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenAuthority } from '@tessera/sdk';
import { RoleReadiness } from '../../src/runtime/role-readiness.ts';
import { buildAiGateway } from '../../src/services/ai-gateway/build-ai-gateway.ts';
import { rememberSecret } from '../support/secrets.ts';
import { INSTANCE_ID, serviceLogger, startTestIssuer, type TestIssuer } from './support/test-issuer.ts';

const AUDIENCE = 'gitlab-ai-gateway';
const IDE_ORIGIN = 'https://ide.example.com';
const completionBody = {
  current_file: { file_name: 'hello.py', content_above_cursor: 'def hello():\n', content_below_cursor: '' },
};

describe('the AI gateway', () => {
  let issuer: TestIssuer;
  let gateway: FastifyInstance;
  let base: string;
  const post = (
    path: string,
    token: string | undefined,
    body: unknown = completionBody,
    headers: Record<string, string> = {},
  ) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: JSON.stringify(body),
    });
  const instanceToken = (scopes: string[], audience = AUDIENCE) => issuer.instanceToken({ audience, scopes });

  beforeAll(async () => {
    issuer = await startTestIssuer();
    const authority = await TokenAuthority.create({ issuer: AUDIENCE });
    gateway = await buildAiGateway({
      issuers: [{ issuer: issuer.url }],
      authority,
      allowedOrigins: [IDE_ORIGIN],
      logger: serviceLogger('ai-gateway'),
    });
    await gateway.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await gateway.close();
    await issuer.close();
  });

  it('answers /v2/completions for an instance token with complete_code', async () => {
    const response = await post('/v2/completions', await instanceToken(['complete_code']));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { choices: { text: string }[] };
    expect(body).toMatchObject({
      object: 'text_completion',
      model: { engine: 'tessera-local', lang: 'python' },
    });
    expect(body.choices[0].text).toMatch(/completed locally/);
  });

  it('answers 403 insufficient_scope to a token without the endpoint unit primitive', async () => {
    const response = await post('/v2/completions', await instanceToken(['duo_chat']));
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: 'insufficient_scope',
      error_description: 'the token lacks the scope complete_code',
    });
    const chat = await post('/v1/chat/agent', await instanceToken(['duo_chat']), {
      prompt_components: [{ type: 'user_prompt', payload: { content: 'hi' } }],
    });
    expect(chat.status).toBe(200);
    expect(((await chat.json()) as { response: string }).response).toMatch(/You asked: "hi"/);
    const generation = await post('/v2/code/generations', await instanceToken(['complete_code']));
    expect(generation.status).toBe(403);
  });

  it('answers 401 invalid_token to garbage, expired and wrong-audience tokens', async () => {
    issuer.skewSeconds = -4 * 24 * 3600; // instance tokens live 3 days
    const expired = await issuer.instanceToken({ audience: AUDIENCE, scopes: ['complete_code'] });
    issuer.skewSeconds = 0;
    const wrongAudience = await instanceToken(['complete_code'], 'gitlab-duo-workflow-service');
    for (const token of ['garbage', expired, wrongAudience]) {
      const response = await post('/v2/completions', token);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(((await response.json()) as { error: string }).error).toBe('invalid_token');
    }
    expect((await post('/v2/completions', undefined)).status).toBe(401);
  });

  it('refuses a request whose X-Gitlab-Realm or X-Gitlab-Instance-Id does not match the token', async () => {
    const token = await instanceToken(['complete_code']);
    const matching = { 'x-gitlab-realm': 'self-managed', 'x-gitlab-instance-id': INSTANCE_ID };
    expect((await post('/v2/completions', token, completionBody, matching)).status).toBe(200);
    expect(
      (await post('/v2/completions', token, completionBody, { ...matching, 'x-gitlab-realm': 'saas' }))
        .status,
    ).toBe(401);
    expect(
      (await post('/v2/completions', token, completionBody, { ...matching, 'x-gitlab-instance-id': 'other' }))
        .status,
    ).toBe(401);
  });

  it('answers CORS preflights for allowed origins with the Authorization and X-Gitlab-* headers', async () => {
    const preflight = (origin: string) =>
      fetch(`${base}/v2/completions`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, x-gitlab-realm, x-evil',
        },
      });
    const allowed = await preflight(IDE_ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(IDE_ORIGIN);
    expect(allowed.headers.get('access-control-allow-headers')).toBe(
      'authorization, content-type, x-gitlab-realm',
    );
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    const foreign = await preflight('https://evil.example');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const refused = await post('/v2/completions', 'garbage', completionBody, { origin: IDE_ORIGIN });
    expect(refused.headers.get('access-control-allow-origin')).toBe(IDE_ORIGIN);
  });

  it('exchanges an instance token for a one-hour gateway-signed user token that the gateway then accepts', async () => {
    const instance = await instanceToken(['complete_code', 'duo_chat', 'duo_agent_platform']);
    const response = await post(
      '/v1/code/user_access_token',
      instance,
      {},
      { 'x-gitlab-global-user-id': 'global-user-42' },
    );
    expect(response.status).toBe(200);
    const { token, expires_at: expiresAt } = (await response.json()) as { token: string; expires_at: number };
    rememberSecret(token);
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: AUDIENCE,
      aud: AUDIENCE,
      sub: 'global-user-42',
      scopes: ['complete_code', 'duo_chat'],
    });
    expect(claims.gitlab_instance_id).toBe(INSTANCE_ID);
    expect(expiresAt - claims.iat!).toBe(3600);

    const headers = {
      'x-gitlab-realm': 'self-managed',
      'x-gitlab-instance-id': INSTANCE_ID,
      'x-gitlab-global-user-id': 'global-user-42',
    };
    expect((await post('/v2/completions', token, completionBody, headers)).status).toBe(200);
    const again = await post('/v1/code/user_access_token', token, {}, headers);
    expect(again.status).toBe(403);
    expect(((await again.json()) as { error_description: string }).error_description).toMatch(
      /instance token/,
    );
  });

  it('refuses a user access token without X-Gitlab-Global-User-Id, or for a token without complete_code', async () => {
    expect(
      (await post('/v1/code/user_access_token', await instanceToken(['complete_code']), {})).status,
    ).toBe(422);
    const noScope = await post(
      '/v1/code/user_access_token',
      await instanceToken(['duo_chat']),
      {},
      { 'x-gitlab-global-user-id': 'u' },
    );
    expect(noScope.status).toBe(403);
  });

  it('serves its health check, liveness and readiness without a token', async () => {
    for (const path of ['/monitoring/healthz', '/-/liveness', '/-/readiness']) {
      const response = await fetch(`${base}${path}`);
      expect([path, response.status, await response.json()]).toEqual([path, 200, { status: 'ok' }]);
    }
  });
});

describe('the AI gateway before its process is ready', () => {
  it('answers 503 starting (probes apart) ahead of authentication, then serves', async () => {
    const issuer = await startTestIssuer();
    const readiness = new RoleReadiness();
    const gateway = await buildAiGateway({
      issuers: [{ issuer: issuer.url }],
      authority: await TokenAuthority.create({ issuer: AUDIENCE }),
      logger: serviceLogger('ai-gateway-starting'),
      readiness,
    });
    try {
      const completion = () =>
        gateway.inject({ method: 'POST', url: '/v2/completions', payload: completionBody });
      const starting = await completion();
      expect([starting.statusCode, starting.headers['retry-after'], starting.json()]).toEqual([
        503,
        '1',
        { message: '503 Service Unavailable: starting' },
      ]);
      const probe = await gateway.inject({ method: 'GET', url: '/-/readiness' });
      expect([probe.statusCode, probe.json()]).toEqual([503, { status: 'starting' }]);
      expect((await gateway.inject({ method: 'GET', url: '/-/liveness' })).statusCode).toBe(200);

      readiness.markReady();
      expect((await completion()).statusCode).toBe(401);
      expect((await gateway.inject({ method: 'GET', url: '/-/readiness' })).statusCode).toBe(200);
    } finally {
      await gateway.close();
      await issuer.close();
    }
  });
});
