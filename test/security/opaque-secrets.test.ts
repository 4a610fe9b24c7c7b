import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { constantTimeEqual } from '../../src/crypto/secrets.ts';
import { openPrivateJwk } from '../../src/keys/seal-key.ts';
import type { Db, Engine } from '../../src/store/database.ts';
import { issuePersonalAccessToken } from '../../src/tokens/access/personal-access-token.service.ts';
import { ENGINES } from '../support/databases.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { rememberSecret } from '../support/secrets.ts';
import { createGroup, createProject, addMember } from '../support/world.ts';
import { createUserWithPassword } from '../identity/identity-fixtures.ts';
import { signInOverHttp } from '../identity/http-session.ts';
import { call, depsOf, givePat, tokenWorld } from '../tokens/token-fixtures.ts';
import { expectNoRememberedSecretIn, keepAuditEvents } from './support/exchange.ts';

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

/** Every row of every table, as text: what a stolen backup would hold. */
async function dumpStore(db: Db): Promise<{ tables: string[]; text: string }> {
  const tables = (await db.introspection.getTables()).map((table) => table.name).sort();
  const parts: string[] = [];
  for (const table of tables) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const rows = await (db as any).selectFrom(table).selectAll().execute();
    parts.push(`${table}: ${JSON.stringify(rows)}`);
  }
  return { tables, text: parts.join('\n') };
}

describe.each(ENGINES)('a dump of the %s store after every kind of secret was created', (engine: Engine) => {
  const secrets: string[] = [];
  const keep = (secret: string) => {
    secrets.push(rememberSecret(secret));
    return secret;
  };
  const digestSecret = randomBytes(32).toString('base64url');
  const keyEncryptionKey = randomBytes(32).toString('base64url');
  let instance: TestInstance;

  beforeAll(async () => {
    instance = await startTestInstance({
      engine,
      name: `opaque-secrets-${engine}`,
      env: {
        TESSERA_DIGEST_SECRET: keep(digestSecret),
        TESSERA_KEY_ENCRYPTION_KEY: keep(keyEncryptionKey),
      },
    });
    const db = instance.context.db;
    const person = await createUserWithPassword(db, { username: 'dana' });
    keep(person.password);
    const session = await signInOverHttp(instance.url, 'dana', person.password);
    keep(session.cookie.slice('_tessera_session='.length));
    keep(session.csrfToken);
    const pat = await givePat(depsOf(instance), person.user, ['api']);
    keep(pat.plaintext);
    const group = await createGroup(db);
    const project = await createProject(db, group);
    await addMember(db, project, person.user, 40);
    const bot = await call(instance, 'POST', `/api/v4/projects/${project.id}/access_tokens`, {
      token: pat.plaintext,
      body: { name: 'deployer', scopes: ['read_api'], access_level: 30, expires_at: inDays(30) },
    });
    expect(bot.status).toBe(201);
    keep(bot.body.token);
    const rotated = await call(instance, 'POST', '/api/v4/personal_access_tokens/self/rotate', {
      token: pat.plaintext,
    });
    expect(rotated.status).toBe(200);
    keep(rotated.body.token);
    // A project's runner registration token: sealed (its maintainers read it again), never plain.
    const registration = await call(
      instance,
      'POST',
      `/api/v4/projects/${project.id}/runners/reset_registration_token`,
      { token: rotated.body.token },
    );
    expect(registration.status).toBe(201);
    keep(registration.body.token);
    for (const key of await db.selectFrom('signing_keys').selectAll().execute()) {
      const privateJwk = openPrivateJwk(instance.context.secrets.box, key);
      for (const part of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) {
        if (typeof privateJwk[part] === 'string') keep(privateJwk[part]);
      }
    }
  });
  afterAll(async () => {
    await keepAuditEvents(instance.context.db);
    await instance.stop();
  });

  it('holds no plaintext token, session id, CSRF token, password, private key or instance secret', async () => {
    const dump = await dumpStore(instance.context.db);
    expect(dump.tables).toEqual(
      expect.arrayContaining(['access_tokens', 'sessions', 'users', 'signing_keys']),
    );
    expect(secrets.length).toBeGreaterThanOrEqual(10);
    expectNoRememberedSecretIn(dump.text, secrets);
    // Nor an unkeyed hash of a token, which a dictionary of leaked tokens could be matched against.
    for (const secret of secrets) {
      for (const encoding of ['hex', 'base64url'] as const) {
        expect(dump.text).not.toContain(createHash('sha256').update(secret).digest(encoding));
      }
    }
  });

  it('keeps passwords as salted scrypt, never twice the same for one password', async () => {
    const [row] = await instance.context.db
      .selectFrom('users')
      .select('password_digest')
      .where('username', '=', 'dana')
      .execute();
    expect(row!.password_digest).toMatch(/^scrypt\$/);
  });
});

describe.each(ENGINES)('digests of opaque tokens on %s', (engine: Engine) => {
  it('are keyed: one token stored under two digest secrets makes two unrelated rows', async () => {
    const [first, second] = [await tokenWorld(engine), await tokenWorld(engine)];
    try {
      const plaintext = rememberSecret(`glpat-${randomBytes(24).toString('base64url')}`);
      const digests: string[] = [];
      for (const world of [first, second]) {
        const user = await world.db
          .insertInto('users')
          .values({
            username: 'erin',
            email: 'erin@example.test',
            name: 'Erin',
            password_digest: null,
            is_admin: 0,
            state: 'active',
            bot_kind: null,
            composite_identity_enforced: 0,
            created_at: new Date().toISOString(),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const issued = await issuePersonalAccessToken(world.deps, {
          user,
          name: 'same',
          scopes: ['api'],
          plaintext,
        });
        digests.push(issued.token.digest);
      }
      expect(digests[0]).not.toBe(digests[1]);
      expect(digests).not.toContain(createHash('sha256').update(plaintext).digest('base64url'));
    } finally {
      await first.destroy();
      await second.destroy();
    }
  });
});

describe('comparison of secrets', () => {
  it('is constant-time over equal lengths and refuses unequal lengths without comparing them', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
});
