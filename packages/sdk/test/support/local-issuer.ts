import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokenAuthority, type AuthorityAlgorithm } from '@tessera/sdk';

/** A token issuer on a loopback port: discovery + JWKS from a real TokenAuthority, requests counted. */
export interface LocalIssuer {
  url: string;
  authority: TokenAuthority;
  /** JWKS requests served so far (discovery requests are counted apart). */
  jwksRequests: number;
  discoveryRequests: number;
  /** While true every connection is dropped, as if the issuer were unreachable. */
  down: boolean;
  close(): Promise<void>;
}

export async function startLocalIssuer(
  options: { algorithm?: AuthorityAlgorithm; privateKey?: string; now?: () => number } = {},
): Promise<LocalIssuer> {
  const server: Server = createServer((request, response) => {
    if (issuer.down) {
      request.socket.destroy();
      return;
    }
    if (request.url === '/.well-known/openid-configuration') {
      issuer.discoveryRequests += 1;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ issuer: issuer.url, jwks_uri: `${issuer.url}/jwks` }));
    } else if (request.url === '/jwks') {
      issuer.jwksRequests += 1;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(issuer.authority.jwks()));
    } else {
      response.statusCode = 404;
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const authority = await TokenAuthority.create({ issuer: url, ...options });
  const issuer: LocalIssuer = {
    url,
    authority,
    jwksRequests: 0,
    discoveryRequests: 0,
    down: false,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return issuer;
}
