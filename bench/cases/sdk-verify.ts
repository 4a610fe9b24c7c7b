import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { importJWK, jwtVerify, type CryptoKey } from 'jose';
import jwt from 'jsonwebtoken';
import { JwksClient } from 'jwks-rsa';
import { createVerifier, TokenAuthority } from '@tessera/sdk';
import { buildAiGateway } from '../../src/services/ai-gateway/build-ai-gateway.ts';
import { compare, DURATION_SECONDS, operationsPerSecond, type BenchResult } from '../lib/measure.ts';

const AUDIENCE = 'gitlab-ai-gateway';
/** Distinct tokens cycled through, so "fresh" means a signature really checked on every call. */
const POOL = 500;
const COMPLETION = JSON.stringify({
  current_file: { file_name: 'hello.py', content_above_cursor: 'def hello():\n', content_below_cursor: '' },
});

/**
 * Issue 5's performance targets, each a ratio within one run:
 * - SDK `verify` of fresh RS256 tokens (cache off) vs raw `jose.jwtVerify` with a local key: ≥ 0.9;
 * - the same vs `jsonwebtoken` + `jwks-rsa` (keys from a local JWKS endpoint, cached): ≥ 1.5;
 * - SDK `verify` of a repeated token (verified-token cache hit) vs raw `jose.jwtVerify`: ≥ 10;
 * - AI gateway `POST /v2/completions` req/s vs a static Fastify route on the same machine: ≥ 0.5.
 */
export async function sdkVerify(): Promise<BenchResult[]> {
  const authority = await TokenAuthority.create({ issuer: 'https://license.bench.example' });
  const tokens = await Promise.all(
    Array.from(
      { length: POOL },
      async (_, i) =>
        (
          await authority.sign({
            subject: `instance-${i}`,
            audience: AUDIENCE,
            scopes: ['complete_code'],
            extraClaims: { gitlab_realm: 'self-managed' },
          })
        ).token,
    ),
  );
  let next = 0;
  const fresh = () => tokens[next++ % POOL]!;
  const expected = { issuer: authority.issuer, audience: AUDIENCE, algorithms: ['RS256'] };

  const publicKey = (await importJWK(authority.jwks().keys[0]!, 'RS256')) as CryptoKey;
  const issuers = [authority.asIssuer()];
  const uncached = createVerifier({ issuers, audience: AUDIENCE, verifiedCacheSize: 0 });
  const [sdkFresh, jose] = await interleaved(
    () => uncached.verify(fresh(), { scopes: ['complete_code'] }),
    () => jwtVerify(fresh(), publicKey, expected),
  );

  const jwks = await serve(JSON.stringify(authority.jwks()));
  let jwksRsa: number;
  try {
    const client = new JwksClient({ jwksUri: jwks.url, cache: true, rateLimit: false });
    jwksRsa = await operationsPerSecond(async () => {
      const token = fresh();
      const kid = String(jwt.decode(token, { complete: true })?.header.kid ?? '');
      const key = await client.getSigningKey(kid);
      jwt.verify(token, key.getPublicKey(), expected as jwt.VerifyOptions);
    });
  } finally {
    await jwks.close();
  }

  const cached = createVerifier({ issuers, audience: AUDIENCE });
  const repeated = tokens[0]!;
  const sdkCached = await operationsPerSecond(() => cached.verify(repeated, { scopes: ['complete_code'] }));

  const { gateway, baseline } = await gatewayThroughput(authority, repeated);
  return [
    compare('SDK verify, fresh RS256 tokens', 'ops/s', sdkFresh, 'raw jose.jwtVerify, local key', jose, 0.9),
    compare('SDK verify, fresh RS256 tokens', 'ops/s', sdkFresh, 'jsonwebtoken + jwks-rsa', jwksRsa, 1.5),
    compare(
      'SDK verify, repeated token (cache)',
      'ops/s',
      sdkCached,
      'raw jose.jwtVerify, local key',
      jose,
      10,
    ),
    compare(
      'AI gateway POST /v2/completions',
      'req/s',
      gateway.rps,
      'static Fastify POST route',
      baseline.rps,
      0.5,
      {
        p50_ms: gateway.p50,
        p99_ms: gateway.p99,
      },
    ),
  ];
}

/**
 * Operations per second of `a` and `b`, measured in alternating slices of 100 ms over the benchmark's
 * duration: on a shared machine, load that comes and goes then weighs on both sides alike.
 */
async function interleaved(a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[number, number]> {
  for (let i = 0; i < 100; i++) await Promise.all([a(), b()]);
  const counts = [0, 0];
  const spent = [0, 0];
  const deadline = performance.now() + DURATION_SECONDS * 2000;
  while (performance.now() < deadline) {
    for (const [index, operation] of [a, b].entries()) {
      const started = performance.now();
      while (performance.now() - started < 100) {
        await operation();
        counts[index]! += 1;
      }
      spent[index]! += performance.now() - started;
    }
  }
  return [(counts[0]! / spent[0]!) * 1000, (counts[1]! / spent[1]!) * 1000];
}

/** The gateway (built only on the SDK, default local model) against a bare Fastify route, same body. */
async function gatewayThroughput(authority: TokenAuthority, token: string) {
  const gateway = await buildAiGateway({
    issuers: [authority.asIssuer()],
    authority: await TokenAuthority.create({ issuer: AUDIENCE }),
  });
  const bare = Fastify();
  bare.post('/static', async () => ({ ok: true }));
  try {
    const [gatewayUrl, bareUrl] = await Promise.all([gateway, bare].map(listen));
    const baseline = await post(`${bareUrl}/static`, {});
    const measured = await post(`${gatewayUrl}/v2/completions`, { authorization: `Bearer ${token}` });
    return { gateway: measured, baseline };
  } finally {
    await gateway.close();
    await bare.close();
  }
}

async function listen(app: { listen(o: object): Promise<string>; server: { address(): unknown } }) {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

async function post(url: string, headers: Record<string, string>) {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: COMPLETION,
    connections: 16,
    duration: DURATION_SECONDS,
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

async function serve(body: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
