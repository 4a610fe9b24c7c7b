import { generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, calculateJwkThumbprint, jwtVerify, SignJWT, type JWK } from 'jose';
import jwt from 'jsonwebtoken';
import { JwksClient } from 'jwks-rsa';
import { compare, operationsPerSecond, type BenchResult } from '../lib/measure.ts';

const ISSUER = 'https://bench.tessera.example';
const AUDIENCE = 'gitlab-ai-gateway';

/** A Cloud Connector instance token's claims: what every signer below signs and every verifier checks. */
function claims(): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER,
    sub: 'b6d2a8f0-instance',
    aud: AUDIENCE,
    iat: now,
    nbf: now - 5,
    exp: now + 3600,
    jti: randomUUID(),
    gitlab_realm: 'self-managed',
    scopes: ['complete_code', 'generate_code', 'duo_chat'],
  };
}

interface Keys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  privatePem: string;
  publicPem: string;
  jwk: JWK;
}

async function rsaKeys(): Promise<Keys> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicJwk = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    jwk: { ...publicJwk, kid, alg: 'RS256', use: 'sig' },
  };
}

/** A JWKS on a loopback port, for jwks-rsa (which only fetches over HTTP). */
async function serveJwks(jwk: JWK): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * RS256 (2048-bit) signing and verification of one Cloud Connector token through each library, as
 * operations per second against raw `node:crypto` on the same key (the floor no JWT library can beat):
 * jose, jsonwebtoken, jsonwebtoken + jwks-rsa. Anchors only, no targets: Tessera's own verifier is
 * measured against them in `sdk-verify.ts`.
 */
export async function jwtAnchors(): Promise<BenchResult[]> {
  const keys = await rsaKeys();
  const header = { alg: 'RS256', typ: 'JWT', kid: keys.jwk.kid };
  const input = Buffer.from(
    `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(claims()))}`,
  );
  const signature = sign('sha256', input, keys.privateKey);
  const token = `${input.toString()}.${signature.toString('base64url')}`;

  const floorSign = await operationsPerSecond(async () => sign('sha256', input, keys.privateKey));
  const floorVerify = await operationsPerSecond(async () => {
    if (!verify('sha256', input, keys.publicKey, signature)) throw new Error('floor verify failed');
  });

  const joseSign = await operationsPerSecond(() =>
    new SignJWT(claims()).setProtectedHeader(header).sign(keys.privateKey),
  );
  const jsonwebtokenSign = await operationsPerSecond(async () =>
    jwt.sign(claims(), keys.privatePem, { algorithm: 'RS256', keyid: keys.jwk.kid }),
  );

  const expected = { issuer: ISSUER, audience: AUDIENCE };
  const joseVerify = await operationsPerSecond(() =>
    jwtVerify(token, keys.publicKey, { ...expected, algorithms: ['RS256'] }),
  );
  const jsonwebtokenVerify = await operationsPerSecond(async () =>
    jwt.verify(token, keys.publicPem, { ...expected, algorithms: ['RS256'] }),
  );
  const jwks = await serveJwks(keys.jwk);
  let jwksRsaVerify: number;
  try {
    const client = new JwksClient({ jwksUri: jwks.url, cache: true, rateLimit: false });
    jwksRsaVerify = await operationsPerSecond(async () => {
      const kid = (jwt.decode(token, { complete: true })?.header.kid ?? '') as string;
      const key = await client.getSigningKey(kid);
      jwt.verify(token, key.getPublicKey(), { ...expected, algorithms: ['RS256'] });
    });
  } finally {
    await jwks.close();
  }
  const signFloor = 'node:crypto RS256 sign (floor)';
  const verifyFloor = 'node:crypto RS256 verify (floor)';
  return [
    compare('sign RS256: node:crypto (floor)', 'ops/s', floorSign, signFloor, floorSign, 0),
    compare('sign RS256: jose SignJWT', 'ops/s', joseSign, signFloor, floorSign, 0),
    compare('sign RS256: jsonwebtoken.sign', 'ops/s', jsonwebtokenSign, signFloor, floorSign, 0),
    compare('verify RS256: node:crypto (floor)', 'ops/s', floorVerify, verifyFloor, floorVerify, 0),
    compare('verify RS256: jose jwtVerify', 'ops/s', joseVerify, verifyFloor, floorVerify, 0),
    compare('verify RS256: jsonwebtoken.verify', 'ops/s', jsonwebtokenVerify, verifyFloor, floorVerify, 0),
    compare('verify RS256: jsonwebtoken + jwks-rsa', 'ops/s', jwksRsaVerify, verifyFloor, floorVerify, 0),
  ];
}
