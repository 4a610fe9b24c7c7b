import { rmSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import { hashPassword } from '../../src/identity/password.ts';
import type { User } from '../../src/store/schema.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { addMember, createGroup, createProject, createUser } from '../support/world.ts';
import { registryAuth, tesseraCli } from './registry-fixtures.ts';
import { buildOciImage, pull, push, startRegistry, type RunningRegistry } from './registry-peer.ts';

const PASSWORD = rememberSecret('correct horse battery staple');

describe('a registry configured with its own issuer, service, lifetime, x5c headers and password sign-in', () => {
  let instance: TestInstance;
  let registry: RunningRegistry;
  let developer: User;
  let bot: User;
  let image: string;

  beforeAll(async () => {
    instance = await startTestInstance({
      name: 'registry-settings',
      env: {
        TESSERA_REGISTRY_ISSUER: 'tessera-test-issuer',
        TESSERA_REGISTRY_SERVICE: 'harbor.example',
        TESSERA_REGISTRY_TOKEN_LIFETIME: '60',
        TESSERA_REGISTRY_X5C: 'true',
        TESSERA_REGISTRY_PASSWORD_AUTH: 'true',
      },
    });
    const { db } = instance.context;
    const project = await createProject(db, await createGroup(db, { path: 'labs' }), { path: 'model' });
    developer = await createUser(db, { password_digest: await hashPassword(PASSWORD) });
    bot = await createUser(db, { bot_kind: 'project_bot', password_digest: await hashPassword(PASSWORD) });
    await addMember(db, project, developer, ACCESS_LEVELS.developer);
    await addMember(db, project, bot, ACCESS_LEVELS.developer);
    const cert = tesseraCli(instance, ['registry', 'cert']);
    expect(cert.status, cert.stderr).toBe(0);
    registry = await startRegistry({
      realm: `${instance.url}/jwt/auth`,
      bundle: cert.stdout,
      service: 'harbor.example',
      issuer: 'tessera-test-issuer',
      name: 'registry-settings',
    });
    image = buildOciImage('2024');
  });

  afterAll(async () => {
    await registry?.stop();
    await instance?.stop();
    rmSync(image, { recursive: true, force: true });
  });

  it('signs with the configured claims and an x5c chain the real registry accepts', async () => {
    const response = await registryAuth(instance, 'service=harbor.example&scope=repository:labs/model:pull', {
      username: developer.username,
      password: PASSWORD,
    });
    expect(response.status).toBe(200);
    expect(response.body.expires_in).toBe(60);
    const header = decodeProtectedHeader(response.body.token);
    expect(header.x5c).toHaveLength(1);
    expect(new X509Certificate(Buffer.from(header.x5c![0]!, 'base64')).subject).toBe('CN=tessera-registry');
    expect(decodeJwt(response.body.token)).toMatchObject({
      iss: 'tessera-test-issuer',
      aud: 'harbor.example',
      sub: developer.username,
    });
    expect((await registryAuth(instance, 'service=container_registry')).status).toBe(404);

    const pushed = await push(registry, image, '2024', 'labs/model', {
      username: developer.username,
      password: PASSWORD,
    });
    expect(pushed.ok, pushed.stderr).toBe(true);
    expect(
      (await pull(registry, 'labs/model', '2024', { username: developer.email, password: PASSWORD })).ok,
    ).toBe(true);
  });

  it('refuses a wrong password, and a bot even with the right one', async () => {
    const wrong = await registryAuth(instance, 'service=harbor.example&scope=repository:labs/model:pull', {
      username: developer.username,
      password: `${PASSWORD}!`,
    });
    expect(wrong.status).toBe(401);
    const asBot = await registryAuth(instance, 'service=harbor.example&scope=repository:labs/model:pull', {
      username: bot.username,
      password: PASSWORD,
    });
    expect(asBot.status).toBe(401);
    expect(
      (await pull(registry, 'labs/model', '2024', { username: developer.username, password: 'nope-nope' }))
        .ok,
    ).toBe(false);
  });
});
