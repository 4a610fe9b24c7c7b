/** Something that can be ended from outside: an open ExecuteWorkflow stream. */
export type StreamCutter = () => void;

interface Revocation {
  /** Epoch ms after which every token issued before the revocation has expired: the entry can go. */
  forgetAt: number;
  /** Bumped by every revocation, so a GenerateToken that raced one is not mistaken for a fresh token. */
  generation: number;
  /** `jti`s of tokens generated after the latest revocation: a resumed workflow's fresh tokens. */
  fresh: Set<string>;
}

/** Ids longer than this are refused: nobody names a workflow with a kilobyte. */
export const MAX_WORKFLOW_ID_LENGTH = 255;

/**
 * The workflow service's record of revoked workflow tokens, and of the streams they have open.
 *
 * Keyed by the caller's instance and the workflow id, so one instance can never revoke (or learn
 * anything about) another instance's workflow of the same id. A revocation refuses every token of
 * that workflow issued before it; tokens generated afterwards (a resumed workflow) stay valid, which
 * is why the service notes the `jti` of each token it generates while a revocation is in force.
 *
 * In memory, each entry kept until the longest user-token lifetime has passed (every token it
 * refuses has expired by then): right for one replica, whose restart also replaces the signing key.
 * Several replicas would need a shared store (future work).
 *
 * @example
 * ```ts
 * const revocations = new WorkflowRevocations({ tokenLifetimeSeconds: 3600 });
 * revocations.revoke('instance-uuid', '42'); // true
 * revocations.isRevoked('instance-uuid', '42', 'jti-of-an-older-token'); // true
 * ```
 */
export class WorkflowRevocations {
  readonly #entries = new Map<string, Revocation>();
  readonly #streams = new Map<string, Set<StreamCutter>>();
  readonly #lifetimeMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { tokenLifetimeSeconds: number; maxEntries?: number; now?: () => number }) {
    this.#lifetimeMs = options.tokenLifetimeSeconds * 1000;
    this.#maxEntries = options.maxEntries ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Records a revocation and ends the workflow's open streams. True when it revoked something new;
   * false when the workflow was already revoked and no token was generated since. Throws a
   * `RangeError` when the list is full (entries are never evicted early: that would un-revoke).
   */
  revoke(instanceId: string, workflowId: string): boolean {
    this.#sweep();
    const key = keyOf(instanceId, workflowId);
    const existing = this.#entries.get(key);
    if (existing === undefined && this.#entries.size >= this.#maxEntries) {
      throw new RangeError('too many revoked workflows are remembered right now');
    }
    const newlyRevoked = existing === undefined || existing.fresh.size > 0;
    this.#entries.set(key, {
      forgetAt: this.#now() + this.#lifetimeMs,
      generation: (existing?.generation ?? 0) + 1,
      fresh: new Set(),
    });
    for (const cut of this.#streams.get(key) ?? []) cut();
    this.#streams.delete(key);
    return newlyRevoked;
  }

  /** Taken before signing a token for the workflow; hand it to {@link noteGenerated} afterwards. */
  generationOf(instanceId: string, workflowId: string): number {
    return this.#entries.get(keyOf(instanceId, workflowId))?.generation ?? 0;
  }

  /** Marks a token generated for the workflow as fresh, unless a revocation came in while it was signed. */
  noteGenerated(instanceId: string, workflowId: string, jti: string, generation: number): void {
    const entry = this.#entries.get(keyOf(instanceId, workflowId));
    if (entry !== undefined && entry.generation === generation) entry.fresh.add(jti);
  }

  /** True when a token of this workflow with this `jti` was issued before its latest revocation. */
  isRevoked(instanceId: string, workflowId: string, jti: string | undefined): boolean {
    const entry = this.#entries.get(keyOf(instanceId, workflowId));
    if (entry === undefined || entry.forgetAt <= this.#now()) return false;
    return jti === undefined || !entry.fresh.has(jti);
  }

  /** Registers an open stream of the workflow; returns what unregisters it when the stream ends. */
  track(instanceId: string, workflowId: string, cut: StreamCutter): () => void {
    const key = keyOf(instanceId, workflowId);
    const streams = this.#streams.get(key) ?? new Set<StreamCutter>();
    streams.add(cut);
    this.#streams.set(key, streams);
    return () => {
      streams.delete(cut);
      if (streams.size === 0 && this.#streams.get(key) === streams) this.#streams.delete(key);
    };
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
