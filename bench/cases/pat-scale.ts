import { createHash, randomBytes } from 'node:crypto';
import { Digester } from '../../src/crypto/secrets.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { openDatabase, type Db, type Engine } from '../../src/store/database.ts';
import { insertAccessTokens } from '../../src/store/access-tokens.repository.ts';
import { migrateToLatest } from '../../src/store/migrations/index.ts';
import { insertUser } from '../../src/store/users.repository.ts';
import { AccessTokenCache } from '../../src/tokens/access/access-token-cache.ts';
import { AccessTokenAuthenticator } from '../../src/tokens/access/access-token.authenticator.ts';
import { systemClock } from '../../src/util/clock.ts';
import { createEmptyDatabaseUrl } from '../../test/support/databases.ts';
import { compare, FULL, percentile, SHORT, type BenchResult } from '../lib/measure.ts';

/** Table sizes measured: 1 k and 100 k (1 M with `--full`); short mode stops at 10 k to stay quick. */
const SIZES = SHORT ? [1_000, 10_000] : FULL ? [1_000, 100_000, 1_000_000] : [1_000, 100_000];
const SAMPLES = SHORT ? 300 : 3_000;
const BATCH = 1_000;
/** The issue's bound: p99 at the largest table within 1.5 × the p99 at 1 k. */
const P99_GROWTH_LIMIT = 1.5;

/** The n-th token of this run: shaped like a real one, derivable again without storing 1 M plaintexts. */
const plaintextOf = (salt: string, n: number) =>
  `glpat-${createHash('sha256').update(`${salt}:${n}`).digest('base64url').slice(0, 32)}`;

/**
 * PAT authentication latency (digest, indexed lookup by digest, owner lookup, state checks) as the
 * table grows, on SQLite and PostgreSQL. The in-process token cache is off (TTL 0) so every sample
 * reaches the store, and rows carry a recent `last_used_at` so no sample writes. Ratio: p99 at the
 * largest size over p99 at 1 k, which must stay ≤ 1.5 (an index probe is O(log n)).
 */
export async function patScale(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const engine of ['sqlite', 'postgres'] as const) {
    let database: { url: string; drop(): Promise<void> };
    try {
      database = await createEmptyDatabaseUrl(engine);
    } catch (error) {
      console.log(`PAT scale on ${engine}: skipped (${(error as Error).message.split('\n')[0]})`);
      continue;
    }
    const db = openDatabase(database.url);
    try {
      results.push(...(await measureEngine(db, engine)));
    } finally {
      await db.destroy();
      await new Promise((resolve) => setTimeout(resolve, 200));
      await database.drop();
    }
  }
  return results;
}

async function measureEngine(db: Db, engine: Engine): Promise<BenchResult[]> {
  await migrateToLatest(db);
  const digester = new Digester(randomBytes(32));
  const clock = systemClock;
  const authenticator = new AccessTokenAuthenticator({
    db,
    clock,
    digester,
    metrics: new Metrics(),
    cache: new AccessTokenCache(clock, 0),
    policy: { tokenPrefix: '', maxLifetimeDays: 365, externalUrl: 'https://bench.example' },
  });
  const now = new Date().toISOString();
  const owner = await insertUser(db, {
    username: 'scale',
    email: 'scale@example.test',
    name: 'scale',
    password_digest: null,
    is_admin: 0,
    state: 'active',
    bot_kind: null,
    composite_identity_enforced: 0,
    created_at: now,
  });
  const salt = randomBytes(8).toString('hex');
  const expiresAt = new Date(Date.now() + 300 * 86_400_000).toISOString().slice(0, 10);
  const p99s = new Map<number, { p50: number; p99: number }>();
  let stored = 0;
  for (const size of SIZES) {
    const started = performance.now();
    for (; stored < size; stored += BATCH) {
      const rows = Array.from({ length: Math.min(BATCH, size - stored) }, (_, i) => ({
        kind: 'personal' as const,
        user_id: owner.id,
        resource_id: null,
        name: 'scale',
        description: '',
        digest: digester.digest(plaintextOf(salt, stored + i)),
        scopes: '["read_api"]',
        access_level: null,
        created_at: now,
        expires_at: expiresAt,
        revoked: 0,
        revoked_at: null,
        last_used_at: now,
        last_used_ips: '[]',
        previous_token_id: null,
      }));
      await insertAccessTokens(db, rows);
    }
    console.log(
      `PAT scale on ${engine}: ${size} tokens stored (${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
    // Warm up (JIT, page cache), then time single authentications of tokens spread over the table.
    for (let i = 0; i < 50; i++) await authenticator.authenticate(plaintextOf(salt, i), { ip: null });
    const samples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const plaintext = plaintextOf(salt, Math.floor(Math.random() * size));
      const at = performance.now();
      const principal = await authenticator.authenticate(plaintext, { ip: null });
      samples.push(performance.now() - at);
      if (!principal) throw new Error(`a stored token did not authenticate on ${engine}`);
    }
    p99s.set(size, { p50: percentile(samples, 50), p99: percentile(samples, 99) });
  }
  const smallest = p99s.get(SIZES[0]!)!;
  return SIZES.slice(1).map((size) => {
    const at = p99s.get(size)!;
    return compare(
      `PAT authentication p99, ${size.toLocaleString('en')} tokens (${engine})`,
      'ms',
      at.p99,
      `p99 at ${SIZES[0]!.toLocaleString('en')} tokens`,
      smallest.p99,
      P99_GROWTH_LIMIT,
      { p50_ms: at.p50, p99_ms: at.p99, baseline_p50_ms: smallest.p50, samples: SAMPLES },
      true,
    );
  });
}
