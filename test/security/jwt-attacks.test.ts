import { randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rememberSecret } from '../support/secrets.ts';
import {
  forgeKey,
  rawJwt,
  startForgeIssuer,
  startTrap,
  type ForgeIssuer,
  type ForgeKey,
  type Trap,
} from './support/jwt-forge.ts';
import { JWT_ENTRY_POINTS, type EntryPointTraits, type JwtEntryPoint } from './support/jwt-entry-points.ts';

/*
 * RFC 8725 (JWT Best Current Practices) as a table: every row is one attack, run against every entry
 * point that accepts a JWT (support/jwt-entry-points.ts). A new entry point is one more factory there;
 * a new attack is one more row here. Each row names the section it covers and the exact refusal.
 */

/** What the SDK tells a client for each reason: the `error_description` / gRPC details every entry point must pass on. */
const MESSAGES = {
  algorithm_not_allowed: 'the token uses an algorithm this service does not accept',
  unsupported: 'the token uses a header or algorithm this service does not support',
  bad_signature: 'the token signature is invalid',
  unknown_kid: 'the token was signed by an unknown key',
  missing_kid: 'the token header has no "kid"',
  unknown_issuer: 'the token was issued by an issuer this service does not trust',
  wrong_audience: 'the token is not meant for this service',
  wrong_type: 'the token has an unexpected type (typ)',
  expired: 'the token has expired',
  not_yet_valid: 'the token is not valid yet',
  issued_in_future: 'the token was issued in the future',
  missing_exp: 'the token\'s "exp" claim is invalid',
  token_too_large: 'the token is longer than 8192 bytes',
  malformed: 'the token is malformed',
} as const;
type Refusal = keyof typeof MESSAGES;

/** The SDK reason behind each refusal (two refusals share `not_yet_valid`; one reason has two messages). */
const REASONS: Record<Refusal, string> = {
  ...(Object.fromEntries(Object.keys(MESSAGES).map((key) => [key, key])) as Record<Refusal, string>),
  issued_in_future: 'not_yet_valid',
  missing_exp: 'invalid_claims',
};

interface Keys {
  /** Signed for issuer A until the rotation; in A's JWKS at first. */
  retired: ForgeKey;
  /** Issuer A's signing key. */
  active: ForgeKey;
  /** The key issuer A rotates to. */
  next: ForgeKey;
  /** Issuer B's key: trusted, but only for B's tokens. */
  other: ForgeKey;
  /** Nobody trusts it. */
  attacker: ForgeKey;
}

interface Context {
  entry: JwtEntryPoint;
  a: ForgeIssuer;
  b: ForgeIssuer;
  keys: Keys;
  trap: Trap;
  claims(overrides?: Record<string, unknown>): Record<string, unknown>;
  header(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** RS256 with issuer A's active key over the default claims and header, with overrides. */
  signed(claims?: Record<string, unknown>, header?: Record<string, unknown>): string;
}

interface Attack {
  name: string;
  /** The RFC section the row covers. */
  rfc: string;
  build(context: Context): string | Promise<string>;
  expected: Refusal | 'accepted';
  /** Where an entry point's traits change the refusal (a verifier that trusts one issuer only). */
  expectedFor?(entry: EntryPointTraits): Refusal | 'accepted';
  /** Rows that only make sense for some entry points (typ checks). */
  appliesTo?(entry: EntryPointTraits): boolean;
}

const now = () => Math.floor(Date.now() / 1000);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Changes only the unused low bits of the last base64url character: the same bytes, another spelling. */
const strayTrailingBits = (token: string) =>
  `${token.slice(0, -1)}${ALPHABET[ALPHABET.indexOf(token.at(-1)!) ^ 1]}`;
const withoutKey = (record: Record<string, unknown>, key: string) =>
  Object.fromEntries(Object.entries(record).filter(([name]) => name !== key));

const ATTACKS: Attack[] = [
  {
    name: 'a well-formed token of a trusted issuer (control row)',
    rfc: 'RFC 7519 §7.2',
    build: (c) => c.signed(),
    expected: 'accepted',
  },
  // — algorithms —
  {
    name: 'alg "none" with an empty signature',
    rfc: 'RFC 8725 §2.1, §3.1',
    build: (c) => rawJwt(c.header({ alg: 'none' }), c.claims(), 'none'),
    expected: 'algorithm_not_allowed',
  },
  {
    name: 'alg "NONE" signed anyway',
    rfc: 'RFC 8725 §3.1',
    build: (c) => rawJwt(c.header({ alg: 'NONE' }), c.claims(), { rsa: c.keys.active.privateKey }),
    expected: 'algorithm_not_allowed',
  },
  {
    name: "HS256 keyed with the issuer's public key (algorithm confusion)",
    rfc: 'RFC 8725 §2.1, §3.1, §3.2',
    build: (c) => rawJwt(c.header({ alg: 'HS256' }), c.claims(), { hmacSecret: c.keys.active.publicPem }),
    expected: 'algorithm_not_allowed',
  },
  // — keys —
  {
    name: "kid and key of another trusted issuer under this issuer's iss",
    rfc: 'RFC 8725 §3.8',
    build: (c) => rawJwt(c.header({ kid: c.keys.other.kid }), c.claims(), { rsa: c.keys.other.privateKey }),
    expected: 'unknown_kid',
  },
  {
    name: "iss of issuer B on a token signed with issuer A's key",
    rfc: 'RFC 8725 §3.8',
    build: (c) => c.signed({ iss: c.b.url }),
    expected: 'unknown_kid',
    expectedFor: (entry) => (entry.singleIssuer ? 'unknown_issuer' : 'unknown_kid'),
  },
  {
    name: 'no kid at all',
    rfc: 'RFC 8725 §3.10',
    build: (c) => rawJwt(withoutKey(c.header(), 'kid'), c.claims(), { rsa: c.keys.active.privateKey }),
    expected: 'missing_kid',
  },
  {
    name: "jku pointing at the attacker's key set (never fetched)",
    rfc: 'RFC 8725 §2.9, §3.10',
    build: (c) =>
      rawJwt(c.header({ kid: c.keys.attacker.kid, jku: c.trap.url }), c.claims(), {
        rsa: c.keys.attacker.privateKey,
      }),
    expected: 'unknown_kid',
  },
  {
    name: "x5u pointing at the attacker's certificate (never fetched)",
    rfc: 'RFC 8725 §2.9, §3.10',
    build: (c) =>
      rawJwt(c.header({ kid: c.keys.attacker.kid, x5u: `${c.trap.url}/cert.pem` }), c.claims(), {
        rsa: c.keys.attacker.privateKey,
      }),
    expected: 'unknown_kid',
  },
  {
    name: "an embedded jwk of the attacker's key, with the issuer's kid",
    rfc: 'RFC 8725 §3.10',
    build: (c) =>
      rawJwt(c.header({ jwk: c.keys.attacker.publicJwk as JWK }), c.claims(), {
        rsa: c.keys.attacker.privateKey,
      }),
    expected: 'bad_signature',
  },
  {
    name: 'jku, x5u and jwk headers on a genuinely signed token are ignored (and not fetched)',
    rfc: 'RFC 8725 §3.10',
    build: (c) =>
      c.signed({}, { jku: c.trap.url, x5u: `${c.trap.url}/cert.pem`, jwk: c.keys.attacker.publicJwk as JWK }),
    expected: 'accepted',
  },
  {
    name: 'signed by a key the issuer has rotated out of its JWKS',
    rfc: 'RFC 7517 §5, RFC 8725 §3.3',
    async build(c) {
      c.a.published = [c.keys.active, c.keys.next];
      // A token of the new key makes the verifier refetch, so it now knows the retired key is gone.
      const fresh = rawJwt(c.header({ kid: c.keys.next.kid }), c.claims(), { rsa: c.keys.next.privateKey });
      expect((await c.entry.present(rememberSecret(fresh))).accepted).toBe(true);
      return rawJwt(c.header({ kid: c.keys.retired.kid }), c.claims(), { rsa: c.keys.retired.privateKey });
    },
    expected: 'unknown_kid',
  },
  {
    name: 'a signature over other claims (payload changed after signing)',
    rfc: 'RFC 7515 §5.2',
    build: (c) => {
      const [header, , signature] = c.signed().split('.');
      const payload = Buffer.from(JSON.stringify(c.claims({ sub: 'someone-else' }))).toString('base64url');
      return `${header}.${payload}.${signature}`;
    },
    expected: 'bad_signature',
  },
  // — headers —
  {
    name: 'crit naming an extension nobody understands',
    rfc: 'RFC 7515 §4.1.11',
    build: (c) => c.signed({}, { crit: ['urn:example:must-understand'], 'urn:example:must-understand': 1 }),
    expected: 'unsupported',
  },
  {
    name: 'typ of another kind of JWT where typ "JWT" is required',
    rfc: 'RFC 8725 §3.11, §2.8',
    build: (c) => c.signed({}, { typ: 'secevent+jwt' }),
    expected: 'wrong_type',
    appliesTo: (entry) => entry.requiresTyp,
  },
  {
    name: 'no typ where typ "JWT" is required',
    rfc: 'RFC 8725 §3.11',
    build: (c) => rawJwt(withoutKey(c.header(), 'typ'), c.claims(), { rsa: c.keys.active.privateKey }),
    expected: 'wrong_type',
    appliesTo: (entry) => entry.requiresTyp,
  },
  // — claims —
  {
    name: 'no iss',
    rfc: 'RFC 8725 §3.8',
    build: (c) => rawJwt(c.header(), withoutKey(c.claims(), 'iss'), { rsa: c.keys.active.privateKey }),
    expected: 'unknown_issuer',
  },
  {
    name: "iss of an untrusted issuer, signed with that issuer's key",
    rfc: 'RFC 8725 §3.8',
    build: (c) =>
      rawJwt(c.header({ kid: c.keys.attacker.kid }), c.claims({ iss: 'https://attacker.example' }), {
        rsa: c.keys.attacker.privateKey,
      }),
    expected: 'unknown_issuer',
  },
  {
    name: 'no aud',
    rfc: 'RFC 8725 §3.9',
    build: (c) => rawJwt(c.header(), withoutKey(c.claims(), 'aud'), { rsa: c.keys.active.privateKey }),
    expected: 'wrong_audience',
  },
  {
    name: 'aud of another service (cross-JWT confusion)',
    rfc: 'RFC 8725 §3.9, §2.8',
    build: (c) => c.signed({ aud: 'gitlab-some-other-service' }),
    expected: 'wrong_audience',
  },
  {
    name: 'expired a minute ago (beyond the 5 s clock tolerance)',
    rfc: 'RFC 7519 §4.1.4',
    build: (c) => c.signed({ iat: now() - 600, nbf: now() - 600, exp: now() - 60 }),
    expected: 'expired',
  },
  {
    name: 'no exp',
    rfc: 'RFC 7519 §4.1.4',
    build: (c) => rawJwt(c.header(), withoutKey(c.claims(), 'exp'), { rsa: c.keys.active.privateKey }),
    expected: 'missing_exp',
  },
  {
    name: 'nbf ten minutes ahead',
    rfc: 'RFC 7519 §4.1.5',
    build: (c) => c.signed({ nbf: now() + 600 }),
    expected: 'not_yet_valid',
  },
  {
    name: 'iat ten minutes ahead, without nbf (rule: iat may lead the clock by the 5 s tolerance only)',
    rfc: 'RFC 7519 §4.1.6',
    build: (c) =>
      rawJwt(c.header(), withoutKey(c.claims({ iat: now() + 600 }), 'nbf'), {
        rsa: c.keys.active.privateKey,
      }),
    expected: 'issued_in_future',
  },
  // — sizes —
  {
    name: 'a token over 8 KiB (a padded claim)',
    rfc: 'RFC 8725 §2.9 (resource exhaustion)',
    build: (c) => c.signed({ padding: 'x'.repeat(8 * 1024) }),
    expected: 'token_too_large',
  },
  {
    name: 'a JOSE header over 8 KiB',
    rfc: 'RFC 8725 §2.9 (resource exhaustion)',
    build: (c) => c.signed({}, { 'x-padding': 'x'.repeat(8 * 1024) }),
    expected: 'token_too_large',
  },
  // — JSON: duplicate members; the lexically last wins everywhere (RFC 7515 §5.2, RFC 7519 §4) —
  {
    name: 'duplicate alg in the header, the last one "none"',
    rfc: 'RFC 7515 §5.2, RFC 8725 §2.6',
    build: (c) => rawJwt(JSON.stringify(c.header()).replace(/\}$/, ',"alg":"none"}'), c.claims(), 'none'),
    expected: 'algorithm_not_allowed',
  },
  {
    name: 'duplicate iss in the claims, the last one untrusted (keys are chosen by the same reading)',
    rfc: 'RFC 7519 §4, RFC 8725 §2.6',
    build: (c) =>
      rawJwt(c.header(), JSON.stringify(c.claims()).replace(/\}$/, ',"iss":"https://attacker.example"}'), {
        rsa: c.keys.active.privateKey,
      }),
    expected: 'unknown_issuer',
  },
  {
    name: 'duplicate aud in the claims, the last one another service',
    rfc: 'RFC 7519 §4, RFC 8725 §2.6',
    build: (c) =>
      rawJwt(c.header(), JSON.stringify(c.claims()).replace(/\}$/, ',"aud":"gitlab-some-other-service"}'), {
        rsa: c.keys.active.privateKey,
      }),
    expected: 'wrong_audience',
  },
  {
    name: 'duplicate exp in the claims, the last one past',
    rfc: 'RFC 7519 §4, RFC 8725 §2.6',
    build: (c) =>
      rawJwt(c.header(), JSON.stringify(c.claims()).replace(/\}$/, `,"exp":${now() - 60}}`), {
        rsa: c.keys.active.privateKey,
      }),
    expected: 'expired',
  },
  // — encoding: one token, one spelling —
  {
    name: "base64 padding ('==') after the signature",
    rfc: 'RFC 7515 §2, §7.1',
    build: (c) => `${c.signed()}==`,
    expected: 'malformed',
  },
  {
    name: 'stray trailing bits in the last character of the signature (same bytes)',
    rfc: 'RFC 7515 §2, RFC 4648 §3.5',
    build: (c) => strayTrailingBits(c.signed()),
    expected: 'malformed',
  },
  {
    name: "standard-base64 characters ('+', '/') in the signature",
    rfc: 'RFC 7515 §2',
    build: (c) => `${c.signed().slice(0, -2)}+/`,
    expected: 'malformed',
  },
  {
    name: 'a line break inside the token (HTTP and gRPC refuse to carry one at all)',
    rfc: 'RFC 7515 §7.1',
    build: (c) => c.signed().replace('.', '.\n'),
    expected: 'malformed',
    appliesTo: (entry) => entry.takesAnyString,
  },
  {
    name: 'a fourth segment',
    rfc: 'RFC 7515 §7.1',
    build: (c) => `${c.signed()}.AAAA`,
    expected: 'malformed',
  },
];

let keysMade: Promise<Keys> | undefined;
const allKeys = () =>
  (keysMade ??= (async () => {
    const [retired, active, next, other, attacker] = await Promise.all([
      forgeKey(),
      forgeKey(),
      forgeKey(),
      forgeKey(),
      forgeKey(),
    ]);
    return { retired: retired!, active: active!, next: next!, other: other!, attacker: attacker! };
  })());

describe.each(JWT_ENTRY_POINTS)('JWT attacks against the $name', (factory) => {
  let context: Context;
  const servers: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    const keys = await allKeys();
    const a = await startForgeIssuer([keys.retired, keys.active]);
    const b = await startForgeIssuer([keys.other]);
    const trap = await startTrap(keys.attacker);
    servers.push(a, b, trap);
    const entry = await factory.start([{ issuer: a.url }, { issuer: b.url }]);
    servers.push({ close: () => entry.stop() });
    context = {
      entry,
      a,
      b,
      keys,
      trap,
      claims: (overrides = {}) => ({
        iss: a.url,
        sub: 'instance-under-attack',
        aud: entry.audience,
        scopes: entry.scopes,
        gitlab_realm: 'self-managed',
        iat: now(),
        nbf: now() - 5,
        exp: now() + 600,
        jti: randomUUID(),
        ...overrides,
      }),
      header: (overrides = {}) => ({ alg: 'RS256', typ: 'JWT', kid: keys.active.kid, ...overrides }),
      signed: (claims = {}, header = {}) =>
        rawJwt(context.header(header), context.claims(claims), { rsa: keys.active.privateKey }),
    };
  });
  afterAll(async () => {
    for (const server of servers.reverse()) await server.close();
  });

  const rows = ATTACKS.filter((attack) => attack.appliesTo?.(factory) ?? true);
  it.each(rows)('$rfc — $name', async (attack) => {
    const token = rememberSecret(await attack.build(context));
    const outcome = await context.entry.present(token);
    const expected = attack.expectedFor?.(factory) ?? attack.expected;
    if (expected === 'accepted') {
      expect(outcome).toMatchObject({ accepted: true });
      return;
    }
    expect(outcome).toMatchObject({
      accepted: false,
      status: context.entry.refusedStatus,
      error: 'invalid_token',
      message: MESSAGES[expected],
    });
    if (outcome.reason !== undefined) expect(outcome.reason).toBe(REASONS[expected]);
    if (outcome.challenge !== undefined) expect(outcome.challenge).toBe('Bearer error="invalid_token"');
  });

  it('never fetched a jku or x5u URL, whatever the tokens said', () => {
    expect(context.trap.hits).toBe(0);
  });
});
