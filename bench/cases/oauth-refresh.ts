import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { SYSTEM_ACTOR } from '../../src/audit/audit-log.ts';
import { loadSettings } from '../../src/config/settings.ts';
import { createUser } from '../../src/identity/user.service.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startInstance } from '../../src/runtime/start-instance.ts';
import { createApplication } from '../../src/tokens/oauth/application.service.ts';
import { redeemAuthorizationCode } from '../../src/tokens/oauth/authorization-code.grant.ts';
import { approveAuthorization } from '../../src/tokens/oauth/authorization.service.ts';
import { oauthDeps, type OAuthDeps } from '../../src/tokens/oauth/oauth-deps.ts';
import { compare, DURATION_SECONDS, type BenchResult } from '../lib/measure.ts';
import { startOidcProviderAnchor } from '../lib/oidc-provider-anchor.ts';

const CONNECTIONS = 16;
/** Refresh tokens in flight: more than the connections, so a request never waits for one. */
const POOL = CONNECTIONS * 4;
const CALLBACK = 'http://127.0.0.1:9/callback';
/** Each side is measured in this many alternating slices, so load that comes and goes hits both. */
const ROUNDS = 2;
const FORM = 'application/x-www-form-urlencoded';

/**
 * Issue 6's target: `POST /oauth/token` with `grant_type=refresh_token` (client_secret_basic), each
 * request spending a refresh token and receiving the next one — rotation on every use: one client
 * authentication, two lookups, a transaction that spends the old pair, stores the new one and writes
 * its audit event — against node-oidc-provider's token endpoint doing the same (rotating refresh
 * grant, in-memory adapter) in the same process and run. Target ≥ 1.5 × the anchor.
 *
 * Tessera has no client_credentials grant (GitLab has none), so the anchor's client_credentials
 * figure is in the table for context only.
 */
export async function oauthRefresh(): Promise<BenchResult[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-oauth-'));
  const settings = loadSettings({ TESSERA_DATA_DIR: dataDir, TESSERA_PORT: '0', TESSERA_LOG_LEVEL: 'warn' });
  const instance = await startInstance(settings, { logger: createLogger({ level: 'warn' }) });
  const anchor = await startOidcProviderAnchor();
  try {
    const ours = await tesseraClient(oauthDeps(instance.context));
    const oursPool = await ours.mint(POOL);
    const anchorPool = await anchor.mintRefreshTokens(POOL);

    const slice = Math.max(1, Math.round(DURATION_SECONDS / ROUNDS));
    const rounds: Array<{ ours: Throughput; anchor: Throughput }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      rounds.push({
        ours: await refreshThroughput(`${instance.url}/oauth/token`, ours.basic, oursPool, slice),
        anchor: await refreshThroughput(`${anchor.url}/token`, anchor.basic, anchorPool, slice),
      });
    }
    const clientCredentials = await tokenThroughput(
      `${anchor.url}/token`,
      anchor.basic,
      () => 'grant_type=client_credentials&scope=api',
      slice,
    );
    const sum = (pick: (round: { ours: Throughput; anchor: Throughput }) => Throughput) =>
      rounds.map(pick).reduce((total, t) => ({
        requests: total.requests + t.requests,
        seconds: total.seconds + t.seconds,
        p99: Math.max(total.p99, t.p99),
      }));
    const oursTotal = sum((round) => round.ours);
    const anchorTotal = sum((round) => round.anchor);
    const rate = (t: Throughput) => t.requests / t.seconds;
    return [
      compare(
        'POST /oauth/token (refresh grant, rotating)',
        'req/s',
        rate(oursTotal),
        'node-oidc-provider POST /token (refresh grant, rotating)',
        rate(anchorTotal),
        1.5,
        { p99_ms: oursTotal.p99, anchor_p99_ms: anchorTotal.p99 },
      ),
      compare(
        'node-oidc-provider POST /token (client_credentials)',
        'req/s',
        rate(clientCredentials),
        'node-oidc-provider refresh grant (same run)',
        rate(anchorTotal),
        0,
        { p99_ms: clientCredentials.p99 },
      ),
    ];
  } finally {
    await anchor.stop();
    await instance.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface Throughput {
  requests: number;
  seconds: number;
  p99: number;
}

/** A trusted confidential application of one user, and refresh tokens minted through its code flow. */
async function tesseraClient(deps: OAuthDeps) {
  const user = await createUser(deps.db, deps.clock, SYSTEM_ACTOR, {
    username: 'bench',
    email: 'bench@example.test',
  });
  const { application, secret } = await createApplication(deps, SYSTEM_ACTOR, {
    name: 'bench',
    redirectUris: [CALLBACK],
    scopes: ['api'],
    confidential: true,
    trusted: true,
    dynamicUserScope: false,
    ownerId: null,
  });
  return {
    basic: `Basic ${Buffer.from(`${application.uid}:${secret}`).toString('base64')}`,
    async mint(count: number): Promise<string[]> {
      const pool: string[] = [];
      for (let i = 0; i < count; i++) {
        const request = {
          application,
          redirectUri: CALLBACK,
          redirectUriAsked: true,
          scopes: ['api'],
          state: undefined,
          codeChallenge: undefined,
          nonce: undefined,
        };
        const code = await approveAuthorization(deps, SYSTEM_ACTOR, user, request, null);
        const tokens = await redeemAuthorizationCode(deps, SYSTEM_ACTOR, application, {
          code,
          redirectUri: CALLBACK,
          codeVerifier: undefined,
        });
        pool.push(tokens.refresh_token!);
      }
      return pool;
    },
  };
}

/**
 * Refresh grants back to back over a pool of refresh tokens. autocannon resets its per-connection
 * context after every request of a one-request list, so the chain of refresh tokens lives in the
 * shared pool: take one, put its successor back. A token is never presented twice.
 */
function refreshThroughput(url: string, basic: string, pool: string[], seconds: number): Promise<Throughput> {
  return tokenThroughput(
    url,
    basic,
    () => `grant_type=refresh_token&refresh_token=${encodeURIComponent(pool.shift() ?? 'exhausted')}`,
    seconds,
    (body) => pool.push((JSON.parse(body) as { refresh_token: string }).refresh_token),
  );
}

async function tokenThroughput(
  url: string,
  basic: string,
  body: () => string,
  seconds: number,
  onToken?: (body: string) => void,
): Promise<Throughput> {
  const { pathname, origin } = new URL(url);
  const result = await autocannon({
    url: origin,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: pathname,
        headers: { authorization: basic, 'content-type': FORM },
        setupRequest: (request) => ({ ...request, body: body() }),
        onResponse: (status, responseBody) => {
          if (status === 200) onToken?.(responseBody);
        },
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors during the benchmark`,
    );
  }
  return { requests: result.requests.total, seconds: result.duration, p99: result.latency.p99 };
}
