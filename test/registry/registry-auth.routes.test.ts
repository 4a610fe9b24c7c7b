import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { decodeProtectedHeader, importX509, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LEVELS } from '../../src/identity/access-levels.ts';
import type { Namespace, Project, User } from '../../src/store/schema.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { addMember, createGroup, createProject, createUser } from '../support/world.ts';
import { call, depsOf, givePat } from '../tokens/token-fixtures.ts';
import { registryAuth, scopeQuery, tesseraCli } from './registry-fixtures.ts';

/** Splits a PEM bundle into its certificates. */
const certificatesOf = (bundle: string) =>
  bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g) ?? [];

/** PEERS.md's pipeline: the libtrust key ID distribution computes from a certificate. */
const libtrustKidByShell = (certificate: string) =>
  execFileSync(
    'bash',
    [
      '-c',
      "openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | head -c 30 | base32 -w0 | sed 's/.\\{4\\}/&:/g;s/:$//'",
    ],
    { input: certificate },
  )
    .toString()
    .trim();

describe('the registry token service (GET /jwt/auth)', () => {
  let instance: TestInstance;
  let group: Namespace;
  let privateProject: Project;
  let internalProject: Project;
  let developer: User;
  let reporter: User;
  let admin: User;
  let developerPat: string;
  let reporterPat: string;
  let readApiPat: string;
  let adminPat: string;
  let outsiderPat: string;
  let deploySecret: string;
  let deployUsername: string;
  let bundle: string;

  beforeAll(async () => {
    instance = await startTestInstance({
      name: 'registry-auth',
      env: { TESSERA_AUTH_FAILURE_LIMIT: '1000' },
    });
    const { db } = instance.context;
    group = await createGroup(db, { path: 'shop', visibility: 'public' });
    privateProject = await createProject(db, group, { path: 'api', visibility: 'private' });
    await createProject(db, group, { path: 'site', visibility: 'public' });
    internalProject = await createProject(db, group, { path: 'tools', visibility: 'internal' });
    [developer, reporter, admin] = await Promise.all([
      createUser(db),
      createUser(db),
      createUser(db, { is_admin: 1 }),
    ]);
    const outsider = await createUser(db);
    await addMember(db, privateProject, developer, ACCESS_LEVELS.developer);
    await addMember(db, privateProject, reporter, ACCESS_LEVELS.reporter);
    const deps = depsOf(instance);
    developerPat = (await givePat(deps, developer, ['read_registry', 'write_registry'])).plaintext;
    reporterPat = (await givePat(deps, reporter, ['api'])).plaintext;
    readApiPat = (await givePat(deps, developer, ['read_api'])).plaintext;
    adminPat = (await givePat(deps, admin, ['api'])).plaintext;
    outsiderPat = (await givePat(deps, outsider, ['api'])).plaintext;
    const maintainer = await createUser(db);
    await addMember(db, privateProject, maintainer, ACCESS_LEVELS.maintainer);
    const maintainerPat = (await givePat(deps, maintainer, ['api'])).plaintext;
    const created = await call(instance, 'POST', `/api/v4/projects/${privateProject.id}/deploy_tokens`, {
      token: maintainerPat,
      body: { name: 'cluster', scopes: ['read_registry'] },
    });
    deploySecret = rememberSecret(created.body.token);
    deployUsername = created.body.username;
    const cli = tesseraCli(instance, ['registry', 'cert']);
    expect(cli.status, cli.stderr).toBe(0);
    bundle = cli.stdout;
  });
  afterAll(() => instance.stop());

  it('`tessera registry cert` prints the certificates of the current and the next registry key', async () => {
    const certificates = certificatesOf(bundle);
    expect(certificates).toHaveLength(2);
    const keys = await instance.context.keys.list('registry');
    expect(keys.keys.map((k) => k.state).sort()).toEqual(['active', 'next']);
    for (const pem of certificates) expect(new X509Certificate(pem).subject).toBe('CN=tessera-registry');
    const json = JSON.parse(tesseraCli(instance, ['registry', 'cert', '--json']).stdout);
    expect(json.map((k: { state: string }) => k.state)).toEqual(['active', 'next']);
    expect(json[0].libtrust_kid).toBe(libtrustKidByShell(certificates[0]!));
  });

  it('signs a token the bundle verifies: libtrust kid, iss, plain-string aud, sub, times and only granted access', async () => {
    const response = await registryAuth(
      instance,
      scopeQuery('repository:shop/api:pull,push', 'repository:shop/tools:pull'),
      { username: deployUsername, password: deploySecret },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.body).toMatchObject({ expires_in: 300, access_token: response.body.token });
    expect(Date.parse(response.body.issued_at)).not.toBeNaN();
    const header = decodeProtectedHeader(response.body.token);
    const active = certificatesOf(bundle)[0]!;
    expect(header).toMatchObject({ alg: 'RS256', kid: libtrustKidByShell(active) });
    expect(header.x5c).toBeUndefined();
    const { payload } = await jwtVerify(response.body.token, await importX509(active, 'RS256'), {
      issuer: 'gitlab-issuer',
      audience: 'container_registry',
    });
    expect(typeof payload.aud).toBe('string');
    expect(payload.sub).toBe(deployUsername);
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(payload.iat! - payload.nbf!).toBe(5);
    expect(payload.jti).toEqual(expect.any(String));
    // A read_registry deploy token of shop/api: pull there; nothing on an internal project it does not
    // belong to (a deploy token is no signed-in person).
    expect(payload.access).toEqual([{ type: 'repository', name: 'shop/api', actions: ['pull'] }]);
  });

  it('grants each credential the intersection of its scopes and its role', async () => {
    const access = async (password: string | null, ...scopes: string[]) => {
      const credentials = password === null ? undefined : { username: 'anyone', password };
      const response = await registryAuth(instance, scopeQuery(...scopes), credentials);
      expect(response.status).toBe(200);
      const [, payload] = response.body.token.split('.');
      return JSON.parse(Buffer.from(payload, 'base64url').toString()).access;
    };
    const pullPush = 'repository:shop/api:pull,push';
    expect(await access(developerPat, pullPush)).toEqual([
      { type: 'repository', name: 'shop/api', actions: ['pull', 'push'] },
    ]);
    expect(await access(reporterPat, pullPush)).toEqual([
      { type: 'repository', name: 'shop/api', actions: ['pull'] },
    ]);
    expect(await access(readApiPat, pullPush)).toEqual([
      { type: 'repository', name: 'shop/api', actions: ['pull'] },
    ]);
    expect(await access(outsiderPat, pullPush)).toEqual([]);
    expect(await access(outsiderPat, 'repository:shop/tools:pull,push')).toEqual([
      { type: 'repository', name: 'shop/tools', actions: ['pull'] },
    ]);
    expect(await access(null, 'repository:shop/tools:pull', 'repository:shop/api:pull')).toEqual([]);
    expect(await access(null, 'repository:shop/site:pull,push')).toEqual([
      { type: 'repository', name: 'shop/site', actions: ['pull'] },
    ]);
    // Images below the project path belong to the project.
    expect(await access(developerPat, 'repository:shop/api/worker/cache:push')).toEqual([
      { type: 'repository', name: 'shop/api/worker/cache', actions: ['push'] },
    ]);
    expect(await access(adminPat, 'registry:catalog:*')).toEqual([
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
    expect(await access(developerPat, 'registry:catalog:*')).toEqual([]);
    expect(await access(adminPat, 'repository:shop/api:*')).toEqual([
      { type: 'repository', name: 'shop/api', actions: ['*'] },
    ]);
    expect(internalProject.visibility).toBe('internal');
  });

  it('answers every bad credential with the same 401 in the registry error shape', async () => {
    const refused = [
      { username: deployUsername, password: `${deploySecret}x` },
      { username: 'someone-else', password: deploySecret },
      { username: 'anyone', password: 'glpat-not-a-real-token-at-all' },
      { username: 'anyone', password: 'hunter2-password' },
      { raw: 'Basic %%%notbase64' },
      { raw: 'Basic bm9jb2xvbg==' },
    ];
    for (const credentials of refused) {
      const response = await registryAuth(instance, scopeQuery('repository:shop/site:pull'), credentials);
      expect([response.status, response.body]).toEqual([
        401,
        { errors: [{ code: 'UNAUTHORIZED', message: 'HTTP Basic: Access denied' }] },
      ]);
      expect(response.headers.get('www-authenticate')).toBe('Basic realm="tessera"');
    }
    // Another scheme never reaches the token service: the API's own 401 refuses it first.
    const digest = await registryAuth(instance, scopeQuery('repository:shop/site:pull'), {
      raw: 'Digest username="x"',
    });
    expect([digest.status, digest.body]).toEqual([401, { message: '401 Unauthorized' }]);
  });

  it('never answers a 500: malformed scopes, unknown services and projects, oversized inputs', async () => {
    const ok = async (query: string) => {
      const response = await registryAuth(instance, query, { username: 'x', password: developerPat });
      expect(response.status).toBe(200);
      const [, payload] = response.body.token.split('.');
      return JSON.parse(Buffer.from(payload, 'base64url').toString()).access;
    };
    const service = 'service=container_registry';
    for (const scope of [
      'repository',
      'repository:shop/api',
      'repository::pull',
      'repository:Shop/API:pull',
      'repository:shop//api:pull',
      'repository:shop/api:fly',
      'repository:nope/missing:pull',
      'image:shop/api:pull',
      'repository:shop/api:pull:extra:colons',
      `repository:${'a/'.repeat(300)}b:pull`,
      '%00%ff',
    ]) {
      expect(await ok(`${service}&scope=${encodeURIComponent(scope)}`)).toEqual([]);
    }
    expect(await ok(`${service}&scope[]=x&scope[a]=y`)).toEqual([]);
    expect(await ok(service)).toEqual([]);

    const unknown = await registryAuth(instance, 'service=other&scope=repository:shop/api:pull');
    expect([unknown.status, unknown.body]).toEqual([
      404,
      { errors: [{ code: 'UNKNOWN', message: 'unknown service' }] },
    ]);
    expect((await registryAuth(instance, 'scope=repository:shop/api:pull')).status).toBe(404);
    expect(
      (await registryAuth(instance, 'service=container_registry&service=container_registry')).status,
    ).toBe(404);

    const many = scopeQuery(...Array.from({ length: 40 }, (_, i) => `repository:shop/p${i}:pull`));
    const tooMany = await registryAuth(instance, many);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors[0].code).toBe('INVALID_REQUEST');

    const huge = await fetch(`${instance.url}/jwt/auth?${service}&scope=${'a'.repeat(20_000)}`);
    expect(huge.status).toBeLessThan(500);
    const longPassword = await registryAuth(instance, scopeQuery('repository:shop/api:pull'), {
      username: 'x',
      password: `gldt-${'a'.repeat(5000)}`,
    });
    expect(longPassword.status).toBe(401);
  });

  it('accepts a password only when the instance allows it', async () => {
    expect(admin.username).toBeTruthy();
    const response = await registryAuth(instance, scopeQuery('repository:shop/site:pull'), {
      username: developer.username,
      password: 'not-the-password',
    });
    expect(response.status).toBe(401);
  });
});

describe('failed registry sign-ins from one address', () => {
  let instance: TestInstance;
  beforeAll(async () => {
    instance = await startTestInstance({
      name: 'registry-throttle',
      env: { TESSERA_AUTH_FAILURE_LIMIT: '3' },
    });
  });
  afterAll(() => instance.stop());

  it('are throttled with a 429 and Retry-After once over the limit, before any credential is checked', async () => {
    const attempt = () =>
      registryAuth(instance, scopeQuery('repository:a/b:pull'), {
        username: 'x',
        password: 'gldt-wrong-secret-value',
      });
    for (let i = 0; i < 3; i++) expect((await attempt()).status).toBe(401);
    const limited = await attempt();
    expect(limited.status).toBe(429);
    expect(limited.body.errors[0].code).toBe('TOOMANYREQUESTS');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Anonymous requests carry no credential to guess with: they are never throttled.
    expect((await registryAuth(instance, scopeQuery('repository:a/b:pull'))).status).toBe(200);
  });
});
