import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePipelineConfig } from '../../src/ci/pipeline-config.ts';
import { parseRegistryScope, REGISTRY_ACTIONS } from '../../src/registry/registry-scope.ts';
import { parseBasicAuthorization, resolveBasicCredentials } from '../../src/tokens/basic-credentials.ts';
import { createUserWithPassword } from '../identity/identity-fixtures.ts';
import { signInOverHttp } from '../identity/http-session.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';
import { depsOf, givePat } from '../tokens/token-fixtures.ts';
import { exchange, keepAuditEvents, type Exchange } from './support/exchange.ts';

/*
 * Property-based fuzzing of every credential parser and every way a credential reaches the API:
 * whatever arrives, never a 500; a valid credential with any one change, never an accept. Runs are
 * bounded (RUNS per property, over a real socket) so the suite stays fast on a shared machine.
 */

const RUNS = 200;
const USER = '/api/v4/user';
const UNAUTHORIZED = { message: '401 Unauthorized' };
const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/:';

/** What an HTTP header may carry (node refuses CR, LF and NUL before sending). */
const headerText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
  maxLength: 300,
});

/** One change to a credential: a character replaced, removed, inserted, or its case flipped. */
function mutated(valid: string): fc.Arbitrary<string> {
  const position = fc.integer({ min: 0, max: valid.length - 1 });
  const char = fc.constantFrom(...TOKEN_CHARS);
  return fc
    .oneof(
      fc.tuple(position, char).map(([at, c]) => valid.slice(0, at) + c + valid.slice(at + 1)),
      position.map((at) => valid.slice(0, at) + valid.slice(at + 1)),
      fc
        .tuple(fc.integer({ min: 0, max: valid.length }), char)
        .map(([at, c]) => valid.slice(0, at) + c + valid.slice(at)),
      position.map((at) => {
        const c = valid[at]!;
        const flipped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
        return valid.slice(0, at) + flipped + valid.slice(at + 1);
      }),
    )
    .filter((candidate) => candidate !== valid);
}

/** Every way the API reads a credential from a request; a new form is one more row. */
interface CredentialForm {
  name: string;
  /** Which valid credential the form carries. */
  carries: 'token' | 'session';
  send(instance: TestInstance, value: string): Promise<Exchange>;
}

const get = (instance: TestInstance, path: string, headers: Record<string, string> = {}) =>
  exchange(`${instance.url}${path}`, { headers });

const FORMS: CredentialForm[] = [
  { name: 'PRIVATE-TOKEN header', carries: 'token', send: (i, v) => get(i, USER, { 'private-token': v }) },
  {
    name: 'Authorization: Bearer',
    carries: 'token',
    send: (i, v) => get(i, USER, { authorization: `Bearer ${v}` }),
  },
  {
    name: 'private_token query parameter',
    carries: 'token',
    send: (i, v) => get(i, `${USER}?private_token=${encodeURIComponent(v)}`),
  },
  {
    name: 'access_token query parameter',
    carries: 'token',
    send: (i, v) => get(i, `${USER}?access_token=${encodeURIComponent(v)}`),
  },
  {
    name: 'session cookie',
    carries: 'session',
    send: (i, v) => get(i, USER, { cookie: `_tessera_session=${v}` }),
  },
  // CI job tokens (`JOB-TOKEN` header, `job_token` query) and deploy tokens (basic auth on git and
  // the registry) join here as rows once their routes accept them on the API.
];

/** A refusal must be the one 401 body; anything else below 500 is a client error with a JSON message. */
function expectSafeAnswer(answer: Exchange): void {
  expect(answer.status).toBeLessThan(500);
  if (answer.status === 401) expect(answer.json).toEqual(UNAUTHORIZED);
}

describe('fuzzing the credential forms of the API over a real socket', () => {
  let instance: TestInstance;
  const valid = { token: '', session: '' };

  beforeAll(async () => {
    // Fuzzing is a brute-force attack by design: lift the lockout so every run reaches authentication.
    instance = await startTestInstance({
      name: 'credential-fuzzing',
      env: { TESSERA_AUTH_FAILURE_LIMIT: '1000000' },
    });
    const person = await createUserWithPassword(instance.context.db, { username: 'fuzzed' });
    valid.token = (await givePat(depsOf(instance), person.user, ['read_user'])).plaintext;
    const session = await signInOverHttp(instance.url, 'fuzzed', person.password);
    valid.session = session.cookie.slice('_tessera_session='.length);
  });
  afterAll(async () => {
    await keepAuditEvents(instance.context.db);
    await instance.stop();
  });

  describe.each(FORMS)('$name', (form) => {
    it('accepts the valid credential (control)', async () => {
      const answer = await form.send(instance, valid[form.carries]);
      expect([answer.status, answer.json?.username]).toEqual([200, 'fuzzed']);
    });

    it(`never answers 500, whatever the value (${RUNS} runs)`, async () => {
      const values = fc.oneof(
        headerText,
        headerText.map((text) => `glpat-${text}`),
        mutated(valid[form.carries]),
      );
      await fc.assert(
        fc.asyncProperty(values, async (value) => expectSafeAnswer(await form.send(instance, value))),
        { numRuns: RUNS },
      );
    });

    it(`never accepts the valid credential with one change (${RUNS} runs)`, async () => {
      await fc.assert(
        fc.asyncProperty(mutated(valid[form.carries]), async (value) => {
          const answer = await form.send(instance, value);
          expect([answer.status, answer.json]).toEqual([401, UNAUTHORIZED]);
        }),
        { numRuns: RUNS },
      );
    });
  });

  it(`never answers 500 to an arbitrary Authorization header (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(headerText, async (value) =>
        expectSafeAnswer(await get(instance, USER, { authorization: value })),
      ),
      { numRuns: RUNS },
    );
  });

  it(`never resolves basic credentials whose password is the valid PAT with one change (${RUNS} runs)`, async () => {
    const resolvers = instance.context.basicCredentialResolvers;
    expect(await resolveBasicCredentials(resolvers, 'anyone', valid.token, { ip: null })).not.toBeNull();
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 40 }), mutated(valid.token), async (username, password) => {
        expect(await resolveBasicCredentials(resolvers, username, password, { ip: null })).toBeNull();
      }),
      { numRuns: RUNS },
    );
  });
});

/** Pure parsers of credentials and of what credentials are asked for; a new parser is one more row. */
const PARSERS: Array<{ name: string; property: fc.IPropertyWithHooks<[unknown]> | fc.IProperty<[unknown]> }> =
  [
    {
      name: 'HTTP basic authorization (src/tokens/basic-credentials.ts) never throws and finds no colon in a username',
      property: fc.property(
        fc.oneof(
          fc.string(),
          headerText.map((t) => `Basic ${t}`),
        ),
        (header) => {
          const parsed = parseBasicAuthorization(header as string);
          if (parsed) expect(parsed.username).not.toContain(':');
        },
      ) as fc.IProperty<[unknown]>,
    },
    {
      name: 'HTTP basic authorization round-trips every username without a colon and every password',
      property: fc.property(
        fc.tuple(
          fc.string().filter((u) => !u.includes(':')),
          fc.string(),
        ),
        (pair) => {
          const [username, password] = pair as [string, string];
          const header = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
          const parsed = parseBasicAuthorization(header);
          // Lone surrogates cannot survive UTF-8; everything else must come back as sent.
          if (
            Buffer.from(username).toString() === username &&
            Buffer.from(password).toString() === password
          ) {
            expect(parsed).toEqual({ username, password });
          }
        },
      ) as fc.IProperty<[unknown]>,
    },
    {
      name: 'registry scope strings (src/registry/registry-scope.ts) never throw; only known actions survive',
      property: fc.property(
        fc.oneof(
          fc.string({ maxLength: 600 }),
          fc
            .tuple(
              fc.constantFrom('repository', 'registry', 'x'),
              fc.string(),
              fc.array(fc.string(), { maxLength: 5 }),
            )
            .map(([type, name, actions]) => `${type}:${name}:${actions.join(',')}`),
        ),
        (raw) => {
          const scope = parseRegistryScope(raw as string);
          if (scope)
            expect(scope.actions.every((a) => (REGISTRY_ACTIONS as readonly string[]).includes(a))).toBe(
              true,
            );
        },
      ) as fc.IProperty<[unknown]>,
    },
    {
      name: '.gitlab-ci.yml id_tokens (src/ci/pipeline-config.ts) of any JSON shape never throw; accepted audiences are non-empty strings',
      property: fc.property(
        fc.oneof(
          fc
            .jsonValue()
            .map((idTokens) => JSON.stringify({ job: { script: ['true'], id_tokens: idTokens } })),
          fc
            .dictionary(
              fc.string({ maxLength: 12 }),
              fc.record({ aud: fc.oneof(fc.string(), fc.array(fc.jsonValue())) }),
            )
            .map((idTokens) => JSON.stringify({ job: { script: ['true'], id_tokens: idTokens } })),
        ),
        (text) => {
          const result = parsePipelineConfig(text as string);
          if (!result.ok) return;
          for (const job of result.config.jobs) {
            for (const [variable, { aud }] of Object.entries(job.id_tokens)) {
              expect(variable).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
              expect(aud.length).toBeGreaterThan(0);
              expect(aud.every((a) => typeof a === 'string' && a !== '')).toBe(true);
            }
          }
        },
      ) as fc.IProperty<[unknown]>,
    },
  ];

describe('fuzzing the credential parsers', () => {
  it.each(PARSERS)('$name', ({ property }) => {
    fc.assert(property, { numRuns: 500 });
  });

  it('.gitlab-ci.yml parsing of arbitrary text never throws', () => {
    expect(parsePipelineConfig('*!')).toMatchObject({ ok: false });
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        expect(() => parsePipelineConfig(text)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});
