import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, generateKeyPair } from 'jose';
import { SYSTEM_ACTOR } from '../../src/audit/audit-log.ts';
import { loadSettings } from '../../src/config/settings.ts';
import { createGroup } from '../../src/identity/group.service.ts';
import { createProject } from '../../src/identity/project.service.ts';
import { createUser } from '../../src/identity/user.service.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startInstance } from '../../src/runtime/start-instance.ts';
import { deployTokenDeps } from '../../src/tokens/deploy/deploy-token-deps.ts';
import { createDeployToken } from '../../src/tokens/deploy/deploy-token.service.ts';
import { compare, operationsPerSecond, requestsPerSecond, type BenchResult } from '../lib/measure.ts';

/**
 * `GET /jwt/auth` with a deploy token (HTTP basic), asking to pull one private project's repository,
 * against raw jose RS256 signing of the same claims in the same run: the signature is the floor of
 * the cost, so the ratio says how much the rest (digest, lookups, permission check, HTTP) adds.
 * Target ≥ 0.7.
 */
export async function registryAuth(): Promise<BenchResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-registry-'));
  const settings = loadSettings({ TESSERA_DATA_DIR: dataDir, TESSERA_PORT: '0', TESSERA_LOG_LEVEL: 'warn' });
  const instance = await startInstance(settings, { logger: createLogger({ level: 'warn' }) });
  try {
    const { context } = instance;
    const owner = await createUser(context.db, context.clock, SYSTEM_ACTOR, {
      username: 'bench-owner',
      email: 'bench-owner@example.test',
    });
    const by = { user: owner, ip: null };
    const group = await createGroup(context.db, context.clock, by, { name: 'bench', path: 'bench' });
    const project = await createProject(context.db, context.clock, by, { name: 'app', namespace: group.id });
    const { token, plaintext } = await createDeployToken(
      deployTokenDeps(context),
      SYSTEM_ACTOR,
      owner,
      { kind: 'project', project },
      { name: 'bench', scopes: ['read_registry'] },
    );
    const scope = `repository:${project.full_path}:pull`;
    const url = `${instance.url}/jwt/auth?service=container_registry&scope=${encodeURIComponent(scope)}`;
    const authorization = `Basic ${Buffer.from(`${token.username}:${plaintext}`).toString('base64')}`;

    const { privateKey } = await generateKeyPair('RS256');
    const access = [{ type: 'repository', name: project.full_path, actions: ['pull'] }];
    const baseline = await operationsPerSecond(() => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ access })
        .setProtectedHeader({
          alg: 'RS256',
          kid: 'ABCD:EFGH:IJKL:MNOP:QRST:UVWX:YZ23:4567:ABCD:EFGH:IJKL:MNOP',
        })
        .setIssuer('gitlab-issuer')
        .setAudience('container_registry')
        .setSubject(token.username)
        .setIssuedAt(now)
        .setNotBefore(now - 5)
        .setExpirationTime(now + 300)
        .setJti(randomUUID())
        .sign(privateKey);
    });
    const measured = await requestsPerSecond(url, { authorization });
    return compare(
      'GET /jwt/auth with a deploy token',
      'req/s',
      measured.rps,
      'jose RS256 signing of the same claims',
      baseline,
      0.7,
      { p50_ms: measured.p50, p99_ms: measured.p99 },
    );
  } finally {
    await instance.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
