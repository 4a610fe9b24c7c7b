import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/audit/audit-log.ts';
import { loadSettings } from '../../src/config/settings.ts';
import { loadInstanceSecrets } from '../../src/crypto/instance-secrets.ts';
import { KeyManager } from '../../src/keys/key-manager.ts';
import { ACTIVE_KEY_TTL_MS } from '../../src/keys/signer-cache.ts';
import { createLogger } from '../../src/observability/logger.ts';
import {
  startWorkflowServiceRole,
  WORKFLOW_SERVICE_KEY_ROLE,
} from '../../src/runtime/start-workflow-service.ts';
import type { RunningWorkflowService } from '../../src/services/workflow-service/start-workflow-service.ts';
import { createWorkflowClient } from '../../src/services/workflow-service/workflow-client.ts';
import type { Action } from '../../src/services/workflow-service/workflow-protos.ts';
import { openDatabase, type Db } from '../../src/store/database.ts';
import { systemClock } from '../../src/util/clock.ts';
import { rememberSecret } from '../support/secrets.ts';
import { INSTANCE_ID, serviceLogger, startTestIssuer, type TestIssuer } from './support/test-issuer.ts';
import { workflowServiceStore } from './support/workflow-service-store.ts';

const REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const AUDIENCE = 'gitlab-duo-workflow-service';
const caller = { instanceId: INSTANCE_ID, realm: 'self-managed', globalUserId: 'global-user-7' };
const chat = (workflowId: string) => ({ workflowId, goal: 'explain the build', workflowDefinition: 'chat' });
/** With Redis, the bound a replica must beat; the poll is made far longer, so only the feed explains it. */
const REDIS_BOUND_MS = 1000;
/** Without Redis: the shipped poll interval, plus one query and one probe on a loaded machine. */
const POLL_MS = 2000;
const POLL_SLACK_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Client = ReturnType<typeof createWorkflowClient>;

/** Two replicas of the workflow-service role on one PostgreSQL database, started together as a rollout would. */
async function startPair(name: string, issuer: TestIssuer, env: Record<string, string>) {
  const store = await workflowServiceStore('postgres');
  const settings = loadSettings({
    ...store.env,
    TESSERA_EXTERNAL_URL: `https://${name}-${randomBytes(4).toString('hex')}.example`,
    TESSERA_WORKFLOW_SERVICE_PORT: '0',
    ...env,
  });
  const start = (replica: string) =>
    startWorkflowServiceRole(settings, {
      logger: serviceLogger(`${name}-${replica}`),
      issuers: [{ issuer: issuer.url }],
    });
  const [a, b] = (await Promise.all([start('a'), start('b')])) as [
    RunningWorkflowService,
    RunningWorkflowService,
  ];
  const db = openDatabase(settings.databaseUrl);
  const clients = { a: createWorkflowClient(a.address), b: createWorkflowClient(b.address) };
  return {
    settings,
    db,
    a: clients.a,
    b: clients.b,
    async stop() {
      clients.a.close();
      clients.b.close();
      await a.close();
      await b.close();
      await db.destroy();
      await sleep(100);
      await store.drop();
    },
  };
}

type Pair = Awaited<ReturnType<typeof startPair>>;

let issuer: TestIssuer;
const instanceToken = () => issuer.instanceToken({ audience: AUDIENCE, scopes: ['duo_agent_platform'] });

/** Everything the tests do with a pair: tokens, runs and revocations through either replica. */
const w = {
  async tokenFrom(client: Client, workflowId: string): Promise<string> {
    const { token } = await client.generateToken(await instanceToken(), caller, 'chat', workflowId);
    return rememberSecret(token);
  },
  async revokeThrough(client: Client, workflowId: string): Promise<number> {
    return client.revokeWorkflowTokens(await instanceToken(), caller, workflowId);
  },
  /** 'finished' when the run went to its end, or the gRPC status it was refused with. */
  async run(client: Client, token: string, workflowId: string): Promise<'finished' | number> {
    try {
      const actions = await client.executeWorkflow(token, caller, chat(workflowId), { answer: () => 'ok' });
      return actions.at(-1)?.finished ? 'finished' : -1;
    } catch (error) {
      return (error as grpc.ServiceError).code;
    }
  },
  /** A run held open after its first action; resolves with the status that cut it. */
  async openRun(client: Client, token: string, workflowId: string) {
    const stream = client.openExecuteWorkflow(token, caller);
    const cut = new Promise<grpc.ServiceError>((resolve, reject) => {
      stream.on('error', resolve);
      stream.on('end', () => reject(new Error('the stream ended without an error')));
    });
    await new Promise<void>((resolve) => {
      stream.on('data', (action: Action) => {
        if (action.readFile) resolve();
      });
      stream.write({ startRequest: chat(workflowId) });
    });
    return { cut };
  },
};

/** Milliseconds from `since` until `probe` first answers UNAUTHENTICATED (every earlier answer a finished run). */
async function refusedAfter(
  probe: () => Promise<'finished' | number>,
  since: number,
  limitMs: number,
): Promise<number | undefined> {
  while (performance.now() - since < limitMs) {
    const outcome = await probe();
    if (outcome === grpc.status.UNAUTHENTICATED) return Math.round(performance.now() - since);
    expect(outcome).toBe('finished');
    await sleep(10);
  }
  return undefined;
}

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer?.close();
});

describe('two workflow-service replicas with Redis', () => {
  let pair: Pair;

  beforeAll(async () => {
    pair = await startPair('wf-replicas', issuer, {
      TESSERA_REDIS_URL: REDIS_URL,
      TESSERA_WORKFLOW_REVOCATION_POLL_MS: '600000',
    });
  });
  afterAll(async () => {
    await pair?.stop();
  });

  it('a user token minted by GenerateToken on A is accepted by ExecuteWorkflow on B, and the other way round', async () => {
    const fromA = await w.tokenFrom(pair.a, 'wf-1');
    expect(await w.run(pair.b, fromA, 'wf-1')).toBe('finished');
    const fromB = await w.tokenFrom(pair.b, 'wf-2');
    expect(await w.run(pair.a, fromB, 'wf-2')).toBe('finished');
  });

  it('RevokeWorkflowTokens through A makes B refuse the token at once and cuts its open stream there', async () => {
    const token = await w.tokenFrom(pair.a, 'wf-3');
    const { cut } = await w.openRun(pair.b, token, 'wf-3');
    expect(await w.run(pair.b, token, 'wf-3')).toBe('finished');
    expect(await w.revokeThrough(pair.a, 'wf-3')).toBe(1);
    const revokedAt = performance.now();
    const streamCut = cut.then((error) => ({ error, ms: Math.round(performance.now() - revokedAt) }));
    const ms = await refusedAfter(() => w.run(pair.b, token, 'wf-3'), revokedAt, 5000);
    const { error, ms: cutMs } = await streamCut;
    console.log(
      `workflow-service revocation propagation with Redis: refused on B after ${ms} ms, stream cut after ${cutMs} ms`,
    );
    expect(error).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: 'token revoked' });
    expect(ms).toBeDefined();
    expect(ms!).toBeLessThan(REDIS_BOUND_MS);
    expect(cutMs).toBeLessThan(REDIS_BOUND_MS);
    // Revoking again through B records nothing new.
    expect(await w.revokeThrough(pair.b, 'wf-3')).toBe(0);
  });

  it('a token generated after the revocation (a resumed workflow) works on both replicas at once', async () => {
    const old = await w.tokenFrom(pair.b, 'wf-4');
    await w.revokeThrough(pair.a, 'wf-4');
    // Straight after: neither replica waits for the feed to learn that these are fresh.
    const freshFromB = await w.tokenFrom(pair.b, 'wf-4');
    expect(await w.run(pair.a, freshFromB, 'wf-4')).toBe('finished');
    const freshFromA = await w.tokenFrom(pair.a, 'wf-4');
    expect(await w.run(pair.b, freshFromA, 'wf-4')).toBe('finished');
    expect(await w.run(pair.b, freshFromB, 'wf-4')).toBe('finished');
    for (const client of [pair.a, pair.b]) {
      expect(await w.run(client, old, 'wf-4')).toBe(grpc.status.UNAUTHENTICATED);
    }
    // Ending the resumed run through B revokes the fresh tokens everywhere.
    expect(await w.revokeThrough(pair.b, 'wf-4')).toBe(1);
    const revokedAt = performance.now();
    expect(await refusedAfter(() => w.run(pair.a, freshFromB, 'wf-4'), revokedAt, 5000)).toBeLessThan(
      REDIS_BOUND_MS,
    );
  });

  it('every revocation is an audit event in the shared store, naming ids and no token', async () => {
    await w.revokeThrough(pair.b, 'wf-5');
    const events = await pair.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'workflow_service_tokens.revoked')
      .where('entity_id', '=', 'wf-5')
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      entity_type: 'AiWorkflow',
      target_type: 'Instance',
      target_id: INSTANCE_ID,
    });
    expect(JSON.parse(events[0]!.details)).toMatchObject({ workflow_id: 'wf-5', newly_revoked: true });
    expect(events[0]!.details).not.toMatch(/eyJ/);
  });

  it('a key rotated through the store signs on both replicas, and tokens of the retired key still verify', async () => {
    const before = await w.tokenFrom(pair.a, 'wf-6');
    await rotate(pair.db, pair.settings);
    // Each replica re-reads the active key at most this often.
    await sleep(ACTIVE_KEY_TTL_MS + 100);
    const after = await w.tokenFrom(pair.a, 'wf-7');
    expect(kidOf(after)).not.toBe(kidOf(before));
    for (const client of [pair.a, pair.b]) {
      expect(await w.run(client, before, 'wf-6')).toBe('finished');
      expect(await w.run(client, after, 'wf-7')).toBe('finished');
    }
  });
});

describe('two workflow-service replicas without Redis', () => {
  let pair: Pair;

  beforeAll(async () => {
    pair = await startPair('wf-replicas-polling', issuer, {
      TESSERA_WORKFLOW_REVOCATION_POLL_MS: String(POLL_MS),
    });
  });
  afterAll(async () => {
    await pair?.stop();
  });

  it(`B refuses a token revoked through A within the poll interval (${POLL_MS} ms), and cuts its open stream`, async () => {
    const token = await w.tokenFrom(pair.a, 'wf-10');
    expect(await w.run(pair.b, token, 'wf-10')).toBe('finished');
    const { cut } = await w.openRun(pair.b, token, 'wf-10');
    expect(await w.revokeThrough(pair.a, 'wf-10')).toBe(1);
    const revokedAt = performance.now();
    const streamCut = cut.then((error) => ({ error, ms: Math.round(performance.now() - revokedAt) }));
    expect(await w.run(pair.a, token, 'wf-10')).toBe(grpc.status.UNAUTHENTICATED);
    const ms = await refusedAfter(
      () => w.run(pair.b, token, 'wf-10'),
      revokedAt,
      POLL_MS + POLL_SLACK_MS + 2000,
    );
    const { error, ms: cutMs } = await streamCut;
    console.log(
      `workflow-service revocation propagation by polling (${POLL_MS} ms): refused on B after ${ms} ms, stream cut after ${cutMs} ms`,
    );
    expect(error).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: 'token revoked' });
    expect(ms).toBeDefined();
    expect(ms!).toBeLessThanOrEqual(POLL_MS + POLL_SLACK_MS);
    expect(cutMs).toBeLessThanOrEqual(POLL_MS + POLL_SLACK_MS);
  });

  it('a resumed workflow works on both replicas straight away, while B refuses the old token within the bound', async () => {
    const old = await w.tokenFrom(pair.a, 'wf-11');
    await w.revokeThrough(pair.a, 'wf-11');
    const revokedAt = performance.now();
    const fresh = await w.tokenFrom(pair.a, 'wf-11');
    expect(await w.run(pair.b, fresh, 'wf-11')).toBe('finished');
    const ms = await refusedAfter(
      () => w.run(pair.b, old, 'wf-11'),
      revokedAt,
      POLL_MS + POLL_SLACK_MS + 2000,
    );
    expect(ms!).toBeLessThanOrEqual(POLL_MS + POLL_SLACK_MS);
    // Once B has the revocation, the fresh token still runs there: it is noted as fresh in the store.
    expect(await w.run(pair.b, fresh, 'wf-11')).toBe('finished');
  });
});

async function rotate(db: Db, settings: ReturnType<typeof loadSettings>): Promise<void> {
  const logger = createLogger({ level: 'silent' });
  const box = loadInstanceSecrets(settings, () => undefined).box;
  await new KeyManager({ db, clock: systemClock, box, settings, logger }).rotate(
    WORKFLOW_SERVICE_KEY_ROLE,
    SYSTEM_ACTOR,
  );
}

function kidOf(token: string): string {
  return (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
}
