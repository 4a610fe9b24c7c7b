import { SYSTEM_ACTOR, recordAudit } from '../audit/audit-log.ts';
import type { Logger } from '../observability/logger.ts';
import {
  WorkflowRevocations,
  type StreamCutter,
  type WorkflowRevocationList,
} from '../services/workflow-service/workflow-revocations.ts';
import type { Db } from '../store/database.ts';
import {
  addFreshWorkflowToken,
  countLiveWorkflowRevocations,
  deleteForgottenWorkflowRevocations,
  findWorkflowRevocation,
  listWorkflowRevocationsChangedSince,
  saveWorkflowRevocation,
  takeWorkflowRevocationVersion,
  type StoredWorkflowRevocation,
  type WorkflowKey,
} from '../store/workflow-revocations.repository.ts';
import type { Clock } from '../util/clock.ts';
import type { WorkflowRevocationFeed } from './workflow-revocation-feed.ts';

/** Kept past the last token's expiry for replicas whose clocks differ from the one that revoked. */
const CLOCK_SKEW_MARGIN_MS = 60_000;

export interface SharedWorkflowRevocationsOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** The longest user-token lifetime: a revocation is kept that long (and a margin). */
  tokenLifetimeSeconds: number;
  /** How often to ask the store for changes made by other replicas. */
  pollMs: number;
  /** With Redis: the channel that tells the other replicas at once. */
  feed?: WorkflowRevocationFeed;
  maxEntries?: number;
}

/**
 * The workflow service's revocations in the shared store, mirrored in each replica's memory so the
 * check on every ExecuteWorkflow reads no store.
 *
 * A revocation (and a fresh token noted after one) is committed first, with its audit event, then
 * applied to this replica's mirror (cutting its open streams) and announced on Redis when configured;
 * a replica hearing it reloads that entry and cuts the streams it refuses. Whatever the feed missed
 * (no Redis, a lost message, a replica that was away) the poll finds: every `pollMs` each replica
 * asks for changes newer than the last version it saw, so **another replica refuses a revoked token
 * within `pollMs` plus one query, and at once with Redis**. Before refusing a token its mirror calls
 * revoked, a replica looks at the store again, so a resumed workflow's fresh token generated on
 * another replica is never refused for being newer than the mirror.
 *
 * @example
 * const revocations = await SharedWorkflowRevocations.open({ db, clock, logger, tokenLifetimeSeconds: 3600, pollMs: 2000 });
 * await startWorkflowService({ port: 0, issuers, revocations });
 */
export class SharedWorkflowRevocations implements WorkflowRevocationList {
  readonly #options: SharedWorkflowRevocationsOptions;
  readonly #mirror: WorkflowRevocations;
  readonly #reloads = new Map<string, Promise<void>>();
  #cursor = 0;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #storeDown = false;

  private constructor(options: SharedWorkflowRevocationsOptions) {
    this.#options = options;
    this.#mirror = new WorkflowRevocations({
      tokenLifetimeSeconds: options.tokenLifetimeSeconds,
      ...(options.maxEntries !== undefined ? { maxEntries: options.maxEntries } : {}),
      now: () => options.clock.now().getTime(),
    });
  }

  /** Loads every revocation in force, subscribes to the feed (if any) and starts polling. */
  static async open(options: SharedWorkflowRevocationsOptions): Promise<SharedWorkflowRevocations> {
    const revocations = new SharedWorkflowRevocations(options);
    await revocations.#poll(0);
    await revocations.#subscribe();
    revocations.#timer = setInterval(() => void revocations.poll(), options.pollMs);
    revocations.#timer.unref();
    return revocations;
  }

  async revoke(instanceId: string, workflowId: string): Promise<boolean> {
    const { db, clock } = this.#options;
    const key = { instanceId, workflowId };
    const now = clock.now();
    const { stored, newlyRevoked } = await db.transaction().execute(async (trx) => {
      const version = await takeWorkflowRevocationVersion(trx);
      const at = now.toISOString();
      await deleteForgottenWorkflowRevocations(trx, at);
      const existing = await findWorkflowRevocation(trx, key, at);
      const limit = this.#options.maxEntries ?? 100_000;
      if (existing === undefined && (await countLiveWorkflowRevocations(trx, at)) >= limit) {
        throw new RangeError('too many revoked workflows are remembered right now');
      }
      const forgetAt = new Date(
        now.getTime() + this.#options.tokenLifetimeSeconds * 1000 + CLOCK_SKEW_MARGIN_MS,
      );
      const revocation = {
        ...key,
        generation: version,
        version,
        revokedAt: at,
        forgetAt: forgetAt.toISOString(),
      };
      await saveWorkflowRevocation(trx, revocation);
      const newly = existing === undefined || existing.fresh.length > 0;
      // The workflow's tokens are credentials: their revocation is audited with it (ids only).
      await recordAudit(
        trx,
        clock,
        { ...SYSTEM_ACTOR, name: 'workflow-service' },
        {
          action: 'workflow_service_tokens.revoked',
          entity: { type: 'AiWorkflow', id: workflowId },
          target: { type: 'Instance', id: instanceId },
          details: {
            instance_id: instanceId,
            workflow_id: workflowId,
            generation: version,
            newly_revoked: newly,
          },
        },
      );
      return { stored: { ...revocation, fresh: [] }, newlyRevoked: newly };
    });
    this.#apply(stored);
    await this.#options.feed?.publish(key);
    return newlyRevoked;
  }

  async generationOf(instanceId: string, workflowId: string): Promise<number> {
    const { db, clock } = this.#options;
    const found = await findWorkflowRevocation(db, { instanceId, workflowId }, clock.now().toISOString());
    return found?.generation ?? 0;
  }

  async noteGenerated(
    instanceId: string,
    workflowId: string,
    jti: string,
    generation: number,
  ): Promise<void> {
    if (generation === 0) return;
    const { db, clock } = this.#options;
    const key = { instanceId, workflowId };
    const stored = await db.transaction().execute(async (trx) => {
      const version = await takeWorkflowRevocationVersion(trx);
      const noted = await addFreshWorkflowToken(trx, key, jti, generation, version);
      return noted ? findWorkflowRevocation(trx, key, clock.now().toISOString()) : undefined;
    });
    if (stored === undefined) return;
    this.#apply(stored);
    await this.#options.feed?.publish(key);
  }

  isRevoked(instanceId: string, workflowId: string, jti: string | undefined): boolean {
    return this.#mirror.isRevoked(instanceId, workflowId, jti);
  }

  async confirmRevoked(instanceId: string, workflowId: string, jti: string | undefined): Promise<boolean> {
    await this.reload({ instanceId, workflowId });
    return this.#mirror.isRevoked(instanceId, workflowId, jti);
  }

  track(instanceId: string, workflowId: string, jti: string | undefined, cut: StreamCutter): () => void {
    return this.#mirror.track(instanceId, workflowId, jti, cut);
  }

  /** Reads one workflow's revocation from the store into the mirror; concurrent calls share one read. */
  reload(key: WorkflowKey): Promise<void> {
    const id = keyOf(key);
    let pending = this.#reloads.get(id);
    if (pending === undefined) {
      const { db, clock } = this.#options;
      pending = findWorkflowRevocation(db, key, clock.now().toISOString())
        .then((stored) => {
          if (stored) this.#apply(stored);
        })
        .finally(() => this.#reloads.delete(id));
      this.#reloads.set(id, pending);
    }
    return pending;
  }

  /** Applies the changes other replicas committed since the last poll (one poll at a time). */
  poll(): Promise<void> {
    this.#polling ??= this.#poll(this.#cursor)
      .then(
        () => {
          if (this.#storeDown) this.#options.logger.info('workflow revocations: the store answers again');
          this.#storeDown = false;
        },
        () => {
          if (!this.#storeDown) {
            this.#options.logger.warn(
              'workflow revocations: the store is unreachable; revocations made elsewhere wait for it',
            );
          }
          this.#storeDown = true;
        },
      )
      .finally(() => (this.#polling = undefined));
    return this.#polling;
  }

  /** Stops polling and closes the feed. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#polling;
    await this.#options.feed?.close();
  }

  async #poll(since: number): Promise<void> {
    const { db, clock } = this.#options;
    const changed = await listWorkflowRevocationsChangedSince(db, since, clock.now().toISOString());
    for (const stored of changed) {
      this.#apply(stored);
      this.#cursor = Math.max(this.#cursor, stored.version);
    }
  }

  async #subscribe(): Promise<void> {
    const { feed, logger } = this.#options;
    if (!feed) return;
    const subscribed = await feed.subscribe({
      onMessage: (key) => {
        this.reload(key).catch(() => undefined); // the poll catches up once the store answers
      },
      onResubscribed: () => {
        // What was published while the subscription was down never arrived: read everything again.
        this.#poll(0).catch(() => undefined);
        logger.info('workflow revocations: subscribed again; reloading every revocation');
      },
    });
    if (!subscribed) {
      logger.warn('workflow revocations: not subscribed yet; still trying, polling is the bound meanwhile');
    }
  }

  /**
   * Puts a revocation read from the store into the mirror, unless the mirror already holds a later
   * version of it (reads can finish out of order). A read that found nothing is never applied: a
   * revocation leaves the store only once it has expired, which the mirror notices by itself.
   */
  #apply(stored: StoredWorkflowRevocation): void {
    const current = this.#mirror.entry(stored.instanceId, stored.workflowId);
    if (current?.version !== undefined && current.version > stored.version) return;
    this.#mirror.put(stored.instanceId, stored.workflowId, {
      forgetAt: Date.parse(stored.forgetAt),
      generation: stored.generation,
      version: stored.version,
      fresh: new Set(stored.fresh),
    });
  }
}

function keyOf(key: WorkflowKey): string {
  return JSON.stringify([key.instanceId, key.workflowId]);
}
