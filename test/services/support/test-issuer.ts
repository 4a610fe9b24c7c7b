import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { TokenAuthority, type AuthorityAlgorithm } from '@tessera/sdk';
import { createLogger, type Logger } from '../../../src/observability/logger.ts';
import { rememberSecret, testLogDir } from '../../support/secrets.ts';

/**
 * A stand-in for the license authority (or an instance): a real TokenAuthority whose discovery
 * document and JWKS are served on a loopback port, so the services under test fetch keys for real.
 */
export interface TestIssuer {
  url: string;
  authority: TokenAuthority;
  jwksRequests: number;
  /** Added to the clock when signing: a negative skew makes expired tokens. */
  skewSeconds: number;
  /** An instance token for `audience` (remembered as a secret for the log-leak check). */
  instanceToken(options: {
    audience: string;
    scopes: string[];
    instanceId?: string;
    realm?: string;
  }): Promise<string>;
  close(): Promise<void>;
}

export const INSTANCE_ID = '5d7c1f9a-instance-uuid';

export async function startTestIssuer(options: { algorithm?: AuthorityAlgorithm } = {}): Promise<TestIssuer> {
  const server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    if (request.url === '/.well-known/openid-configuration') {
      response.end(JSON.stringify({ issuer: issuer.url, jwks_uri: `${issuer.url}/oauth/discovery/keys` }));
    } else if (request.url === '/oauth/discovery/keys') {
      issuer.jwksRequests += 1;
      response.end(JSON.stringify(issuer.authority.jwks()));
    } else {
      response.statusCode = 404;
      response.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const authority = await TokenAuthority.create({
    issuer: url,
    algorithm: options.algorithm ?? 'RS256',
    maxLifetimeSeconds: 3 * 24 * 3600,
    now: () => Date.now() + issuer.skewSeconds * 1000,
  });
  const issuer: TestIssuer = {
    url,
    authority,
    jwksRequests: 0,
    skewSeconds: 0,
    async instanceToken({ audience, scopes, instanceId = INSTANCE_ID, realm = 'self-managed' }) {
      const signed = await authority.sign({
        subject: instanceId,
        audience,
        scopes,
        extraClaims: { gitlab_realm: realm },
      });
      return rememberSecret(signed.token);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return issuer;
}

/** A logger writing into the run's log directory, so the leak check reads what a service printed. */
export function serviceLogger(name: string): Logger {
  const file = join(testLogDir(), `${name}-${process.pid}-${Date.now()}.log`);
  return createLogger({ level: 'info', name, destination: pino.destination({ dest: file, sync: true }) });
}
