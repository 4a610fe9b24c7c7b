import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, generateKeyPair } from 'jose';
import { loadSettings } from '../../src/config/settings.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createInstanceContext } from '../../src/runtime/create-instance-context.ts';
import { idTokenClaims } from '../../src/tokens/id-token/id-token-claims.ts';
import { mintIdTokens } from '../../src/tokens/id-token/mint-id-tokens.ts';
import { subjectFor } from '../../src/tokens/id-token/sub-claim.ts';
import { compare, operationsPerSecond, type BenchResult } from '../lib/measure.ts';

/**
 * Minting one CI ID token for a job with an environment (22 claims of its own plus `iss`, `sub`,
 * `aud`, `iat`, `nbf`, `exp`, `jti`) through the instance's key manager, against raw jose RS256
 * signing of the same payload in the same run. Target ≥ 0.8.
 */
export async function idTokenMinting(): Promise<BenchResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-id-token-'));
  const settings = loadSettings({ TESSERA_DATA_DIR: dataDir, TESSERA_PORT: '0', TESSERA_LOG_LEVEL: 'warn' });
  const context = await createInstanceContext(settings, { logger: createLogger({ level: 'warn' }) });
  try {
    const claims = idTokenClaims({
      namespace: { id: 24, full_path: 'mygroup' },
      project: { id: 20, full_path: 'mygroup/app', visibility: 'private' },
      user: { id: 1, username: 'root', email: 'admin@example.com' },
      userAccessLevel: 40,
      pipeline: {
        id: 189,
        source: 'push',
        ref: 'main',
        refType: 'branch',
        sha: 'a'.repeat(40),
        refProtected: true,
      },
      job: { id: 545 },
      runner: { id: 3, environment: 'self-hosted' },
      environment: { name: 'production', protected: false, tier: 'production', action: 'start' },
      groupsDirect: ['mygroup'],
      serverHost: 'tessera.example',
      ciConfigPath: '.gitlab-ci.yml',
    });
    const sub = subjectFor(claims);
    const request = { AWS_TOKEN: { aud: ['sts.amazonaws.com'] } };
    const measured = await operationsPerSecond(() => mintIdTokens(context.keys, claims, sub, request, 3600));

    const { privateKey } = await generateKeyPair('RS256');
    const baseline = await operationsPerSecond(() => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'fxxEhbdTY5ZWLM45-l8naD-0JJlFYux1ILCThCjwpEs', typ: 'JWT' })
        .setIssuer(settings.externalUrl)
        .setAudience('sts.amazonaws.com')
        .setSubject(sub)
        .setIssuedAt(now)
        .setNotBefore(now - 5)
        .setExpirationTime(now + 3600)
        .setJti(randomUUID())
        .sign(privateKey);
    });
    return compare(
      'CI ID token minting (25+ claims)',
      'tokens/s',
      measured,
      'jose RS256 signing of the same payload',
      baseline,
      0.8,
    );
  } finally {
    await context.db.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
