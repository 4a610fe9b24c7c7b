import Fastify, { type FastifyInstance } from 'fastify';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoveryRoutes } from '../../src/http/routes/discovery.routes.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.ts';
import { freePort } from '../support/instance.ts';
import { keySettings, keyWorld, type KeyWorld } from './key-fixtures.ts';

describe.each(ENGINES)('discovery and JWKS over HTTP on %s', (engine) => {
  let database: TestDatabase;
  let world: KeyWorld;
  let app: FastifyInstance;
  let issuer: string;

  beforeEach(async () => {
    database = await createTestDatabase(engine);
    // The issuer is part of every token, so it is known before the server listens.
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    // A clock at the real time: the remote JWKS verification below checks exp against the real clock.
    world = keyWorld(database.db, keySettings({}, issuer), new ManualClock());
    await world.keys.ensureKeys('instance');
    app = Fastify();
    await app.register(discoveryRoutes, { keys: world.keys, settings: world.settings });
    await app.listen({ port, host: '127.0.0.1' });
  });

  afterEach(async () => {
    await app.close();
    await world.rememberPrivateKeys();
    await database.destroy();
  });

  it('serves the discovery document with the issuer exactly as configured', async () => {
    const response = await fetch(`${issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('max-age=3600, public');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const document = (await response.json()) as Record<string, unknown>;
    expect(document).toMatchObject({
      issuer,
      jwks_uri: `${issuer}/oauth/discovery/keys`,
      authorization_endpoint: `${issuer}/oauth/authorize`,
      token_endpoint: `${issuer}/oauth/token`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      code_challenge_methods_supported: ['S256'],
    });
    expect(document.id_token_signing_alg_values_supported).toContain('RS256');
    expect(document.scopes_supported).toEqual(expect.arrayContaining(['openid', 'read_api', 'ai_workflows']));
  });

  it('serves the JWKS at both paths with GitLab cache headers and public members only', async () => {
    const [keys, jwks] = await Promise.all([
      fetch(`${issuer}/oauth/discovery/keys`),
      fetch(`${issuer}/-/jwks`),
    ]);
    for (const response of [keys, jwks]) {
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe(
        'max-age=300, public, must-revalidate, no-transform',
      );
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    }
    const body = (await keys.json()) as { keys: Record<string, unknown>[] };
    expect(await jwks.json()).toEqual(body);
    // Active and next: the next key is published before it ever signs.
    expect(body.keys).toHaveLength(2);
    for (const key of body.keys)
      expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
  });

  it('an unmodified OpenID client discovers the issuer and verifies a signed token through its JWKS', async () => {
    const config = await client.discovery(new URL(issuer), 'some-client', undefined, undefined, {
      execute: [client.allowInsecureRequests],
    });
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(issuer);
    expect(metadata.jwks_uri).toBe(`${issuer}/oauth/discovery/keys`);

    const token = await world.keys.signJwt(
      'instance',
      { project_path: 'group/project' },
      { expiresInSeconds: 300, audience: 'https://vault.example', subject: 'project_path:group/project' },
    );
    const { payload, protectedHeader } = await jwtVerify(
      token,
      createRemoteJWKSet(new URL(metadata.jwks_uri!)),
      {
        algorithms: ['RS256'],
        issuer: metadata.issuer,
        audience: 'https://vault.example',
      },
    );
    expect(protectedHeader.kid).toBe(decodeProtectedHeader(token).kid);
    expect(payload).toMatchObject({
      iss: issuer,
      sub: 'project_path:group/project',
      project_path: 'group/project',
    });
  });
});
