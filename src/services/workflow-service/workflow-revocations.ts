/** Something that can be ended from outside: an open ExecuteWorkflow stream. */
export type StreamCutter = () => void;

/** One workflow's latest revocation, as a revocation list holds it. */
export interface RevocationEntry {
  /** Epoch ms after which every token issued before the revocation has expired: the entry can go. */
  forgetAt: number;
  /** Changed by every revocation, so a GenerateToken that raced one is not mistaken for a fresh token. */
  generation: number;
  /** `jti`s of tokens generated after the latest revocation: a resumed workflow's fresh tokens. */
  fresh: ReadonlySet<string>;
  /** In a mirror of a shared store: the entry's version there, so that an older read never replaces a newer one. */
  version?: number;
}

/**
 * What the workflow service's handlers need of its revocations. {@link WorkflowRevocations} keeps them
 * in this process; a deployment of several replicas gives one that keeps them in a shared store and
 * mirrors them here, so that the check on every ExecuteWorkflow stays in memory.
 *
 * @example
 * ```ts
 * const list: WorkflowRevocationList = new WorkflowRevocations({ tokenLifetimeSeconds: 3600 });
 * await list.revoke('instance-uuid', '42');
 * ```
 */
export interface WorkflowRevocationList {
  /**
   * Records a revocation and ends the workflow's open streams. True when it revoked something new;
   * false when the workflow was already revoked and no token was generated since. Rejects with a
   * `RangeError` when the list is full (entries are never evicted early: that would un-revoke).
   */
  revoke(instanceId: string, workflowId: string): Promise<boolean>;
  /** Taken before signing a token for the workflow; hand it to {@link noteGenerated} afterwards. */
  generationOf(instanceId: string, workflowId: string): Promise<number>;
  /** Marks a token generated for the workflow as fresh, unless a revocation came in while it was signed. */
  noteGenerated(instanceId: string, workflowId: string, jti: string, generation: number): Promise<void>;
  /** True when a token of this workflow with this `jti` was issued before its latest revocation, as far as this process knows. */
  isRevoked(instanceId: string, workflowId: string, jti: string | undefined): boolean;
  /**
   * Asked only when {@link isRevoked} said yes, before refusing: a shared list looks again at its
   * store, where another replica may have noted the token as fresh a moment ago.
   */
  confirmRevoked(instanceId: string, workflowId: string, jti: string | undefined): Promise<boolean>;
  /** Registers an open stream of a token; returns what unregisters it when the stream ends. */
  track(instanceId: string, workflowId: string, jti: string | undefined, cut: StreamCutter): () => void;
}

/** Ids longer than this are refused: nobody names a workflow with a kilobyte. */
export const MAX_WORKFLOW_ID_LENGTH = 255;

interface Tracked {
  jti: string | undefined;
  cut: StreamCutter;
}

/**
 * The workflow service's record of revoked workflow tokens, and of the streams they have open.
 *
 * Keyed by the caller's instance and the workflow id, so one instance can never revoke (or learn
 * anything about) another instance's workflow of the same id. A revocation refuses every token of
 * that workflow issued before it; tokens generated afterwards (a resumed workflow) stay valid, which
 * is why the service notes the `jti` of each token it generates while a revocation is in force.
 *
 * In memory, each entry kept until the longest user-token lifetime has passed (every token it
 * refuses has expired by then). On its own it serves one process (a standalone service, whose key
 * is in memory too); the workflow-service role keeps its revocations in the shared store and uses
 * this class as each replica's mirror of them ({@link WorkflowRevocations.put}).
 *
 * @example
 * ```ts
 * const revocations = new WorkflowRevocations({ tokenLifetimeSeconds: 3600 });
 * await revocations.revoke('instance-uuid', '42'); // true
 * revocations.isRevoked('instance-uuid', '42', 'jti-of-an-older-token'); // true
 * ```
 */
export class WorkflowRevocations implements WorkflowRevocationList {
  readonly #entries = new Map<string, RevocationEntry>();
  readonly #streams = new Map<string, Set<Tracked>>();
  readonly #lifetimeMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { tokenLifetimeSeconds: number; maxEntries?: number; now?: () => number }) {
    this.#lifetimeMs = options.tokenLifetimeSeconds * 1000;
    this.#maxEntries = options.maxEntries ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  async revoke(instanceId: string, workflowId: string): Promise<boolean> {
    const existing = this.entry(instanceId, workflowId);
    if (existing === undefined && this.size >= this.#maxEntries) {
      throw new RangeError('too many revoked workflows are remembered right now');
    }
    this.put(instanceId, workflowId, {
      forgetAt: this.#now() + this.#lifetimeMs,
      generation: (existing?.generation ?? 0) + 1,
      fresh: new Set(),
    });
    return existing === undefined || existing.fresh.size > 0;
  }

  async generationOf(instanceId: string, workflowId: string): Promise<number> {
    return this.entry(instanceId, workflowId)?.generation ?? 0;
  }

  async noteGenerated(
    instanceId: string,
    workflowId: string,
    jti: string,
    generation: number,
  ): Promise<void> {
    const entry = this.entry(instanceId, workflowId);
    if (entry === undefined || entry.generation !== generation) return;
    this.put(instanceId, workflowId, { ...entry, fresh: new Set([...entry.fresh, jti]) });
  }

  isRevoked(instanceId: string, workflowId: string, jti: string | undefined): boolean {
    const entry = this.entry(instanceId, workflowId);
    return entry !== undefined && (jti === undefined || !entry.fresh.has(jti));
  }

  async confirmRevoked(instanceId: string, workflowId: string, jti: string | undefined): Promise<boolean> {
    return this.isRevoked(instanceId, workflowId, jti);
  }

  track(instanceId: string, workflowId: string, jti: string | undefined, cut: StreamCutter): () => void {
    const key = keyOf(instanceId, workflowId);
    const streams = this.#streams.get(key) ?? new Set<Tracked>();
    const tracked = { jti, cut };
    streams.add(tracked);
    this.#streams.set(key, streams);
    return () => {
      streams.delete(tracked);
      if (streams.size === 0 && this.#streams.get(key) === streams) this.#streams.delete(key);
    };
  }

  /** The workflow's revocation while it is in force. */
  entry(instanceId: string, workflowId: string): RevocationEntry | undefined {
    const key = keyOf(instanceId, workflowId);
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.forgetAt > this.#now()) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  /** How many revocations are in force. */
  get size(): number {
    this.#sweep();
    return this.#entries.size;
  }

  /**
   * Sets (or, with undefined, drops) the workflow's revocation as it now stands, and cuts each open
   * stream whose token that refuses. What a mirror calls when its store says the entry changed.
   */
  put(instanceId: string, workflowId: string, entry: RevocationEntry | undefined): void {
    const key = keyOf(instanceId, workflowId);
    if (entry === undefined || entry.forgetAt <= this.#now()) this.#entries.delete(key);
    else this.#entries.set(key, entry);
    const streams = this.#streams.get(key);
    if (streams === undefined) return;
    for (const tracked of [...streams]) {
      if (!this.isRevoked(instanceId, workflowId, tracked.jti)) continue;
      streams.delete(tracked);
      tracked.cut();
    }
    if (streams.size === 0 && this.#streams.get(key) === streams) this.#streams.delete(key);
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) if (entry.forgetAt <= now) this.#entries.delete(key);
  }
}

function keyOf(instanceId: string, workflowId: string): string {
  // JSON keeps the two parts apart whatever characters they contain.
  return JSON.stringify([instanceId, workflowId]);
}
