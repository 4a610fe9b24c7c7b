import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/** The one confidential client of the anchor: client_secret_basic, the grants the issue names. */
const CLIENT_ID = 'bench';
const SCOPE = 'api';

/** node-oidc-provider on a loopback port, with what the token-endpoint benchmarks need. */
export interface OidcProviderAnchor {
  url: string;
  /** `Authorization: Basic …` of the bench client. */
  basic: string;
  /** Refresh tokens minted straight through the provider's own model, outside any timed part. */
  mintRefreshTokens(count: number): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * Starts node-oidc-provider in-process the way a deployment of it would run the refresh grant that
 * Tessera runs: its default in-memory adapter, one confidential client allowed
 * `authorization_code`, `refresh_token` and `client_credentials`, refresh tokens rotated on every use
 * (as Tessera's are), opaque access tokens, no `openid` scope (so neither side signs an `id_token`).
 * The provider's keys are generated here, so it does not warn about its development keys.
 *
 * @example
 * ```ts
 * const anchor = await startOidcProviderAnchor();
 * const [refreshToken] = await anchor.mintRefreshTokens(1);
 * await fetch(`${anchor.url}/token`, { method: 'POST', headers: { authorization: anchor.basic }, body: … });
 * await anchor.stop();
 * ```
 */
export async function startOidcProviderAnchor(): Promise<OidcProviderAnchor> {
  const secret = randomBytes(32).toString('base64url');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let server: Server | undefined = createServer();
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(url, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: secret,
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
        redirect_uris: ['http://127.0.0.1:9/callback'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256', use: 'sig' }] },
    scopes: ['openid', 'offline_access', SCOPE],
    features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    // Tessera's lifetimes, so neither side is asked to do more bookkeeping than the other.
    ttl: { AccessToken: 7200, ClientCredentials: 7200, RefreshToken: 30 * 86_400, Grant: 30 * 86_400 },
    rotateRefreshToken: true,
    findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id }) }),
  });
  // The provider logs through `debug` and emits errors as events; a benchmark keeps quiet.
  provider.on('server_error', (_ctx: unknown, error: Error) =>
    console.error('oidc-provider:', error.message),
  );
  server.on('request', provider.callback());
  return {
    url,
    basic: `Basic ${Buffer.from(`${CLIENT_ID}:${secret}`).toString('base64')}`,
    async mintRefreshTokens(count) {
      const client = await provider.Client.find(CLIENT_ID);
      const tokens: string[] = [];
      for (let i = 0; i < count; i++) {
        // What the authorization-code grant stores: a grant naming the scope, then a refresh token on it.
        const accountId = `user-${i}`;
        const grant = new provider.Grant({ accountId, clientId: CLIENT_ID });
        grant.addOIDCScope(SCOPE);
        const grantId = await grant.save();
        const refreshToken = new provider.RefreshToken({
          accountId,
          client,
          grantId,
          gty: 'authorization_code',
          scope: SCOPE,
        });
        tokens.push(await refreshToken.save());
      }
      return tokens;
    },
    async stop() {
      const closing = server;
      server = undefined;
      if (!closing) return;
      closing.closeAllConnections();
      await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
  };
}
