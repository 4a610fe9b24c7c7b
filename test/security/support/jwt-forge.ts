import { createHmac, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, calculateJwkThumbprint, type JWK } from 'jose';

/** An RSA key a test signs with, and how a verifier would see it. */
export interface ForgeKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: JWK;
  /** SPKI PEM of the public key: what an algorithm-confusion attack uses as an HMAC secret. */
  publicPem: string;
}

export async function forgeKey(): Promise<ForgeKey> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(jwk);
  return {
    kid,
    privateKey,
    publicJwk: { ...jwk, kid, alg: 'RS256', use: 'sig' },
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/**
 * Signs a compact JWS by hand, so a test can produce what jose refuses to: `alg: none`, HS256 over a
 * public key, duplicate JSON members (pass the JSON text yourself), any header at all.
 */
export function rawJwt(
  header: Record<string, unknown> | string,
  payload: Record<string, unknown> | string,
  signer: { rsa: KeyObject } | { hmacSecret: string } | 'none',
): string {
  const text = (part: Record<string, unknown> | string) =>
    typeof part === 'string' ? part : JSON.stringify(part);
  const input = `${base64url.encode(text(header))}.${base64url.encode(text(payload))}`;
  if (signer === 'none') return `${input}.`;
  const signature =
    'rsa' in signer
      ? createSign('RSA-SHA256').update(input).sign(signer.rsa)
      : createHmac('sha256', signer.hmacSecret).update(input).digest();
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

/** A JWT issuer on a loopback port whose published JWKS the test controls, every request counted. */
export interface ForgeIssuer {
  url: string;
  /** Keys in the served JWKS; edit it to rotate. */
  published: ForgeKey[];
  requests: number;
  close(): Promise<void>;
}

export async function startForgeIssuer(published: ForgeKey[]): Promise<ForgeIssuer> {
  const server = await listen((request, respond) => {
    issuer.requests += 1;
    if (request === '/.well-known/openid-configuration') {
      respond({ issuer: issuer.url, jwks_uri: `${issuer.url}/oauth/discovery/keys` });
    } else if (request === '/oauth/discovery/keys') {
      respond({ keys: issuer.published.map((key) => key.publicJwk) });
    } else respond(null);
  });
  const issuer: ForgeIssuer = {
    url: server.url,
    published,
    requests: 0,
    close: server.close,
  };
  return issuer;
}

/** A server that must never be called: it serves the attacker's key set and counts every hit. */
export interface Trap {
  url: string;
  hits: number;
  close(): Promise<void>;
}

export async function startTrap(attackerKey: ForgeKey): Promise<Trap> {
  const server = await listen((_request, respond) => {
    trap.hits += 1;
    respond({ keys: [attackerKey.publicJwk] });
  });
  const trap: Trap = { url: server.url, hits: 0, close: server.close };
  return trap;
}

async function listen(
  handle: (path: string, respond: (body: unknown) => void) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    handle(request.url ?? '/', (body) => {
      response.statusCode = body === null ? 404 : 200;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
