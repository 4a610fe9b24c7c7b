/** Where a role is in its life: it serves only while `ready`. */
export type ReadinessState = 'starting' | 'ready' | 'draining';

/**
 * The readiness of one or more roles in this process: `starting` until the process has started
 * everything they depend on, `ready` while they serve, `draining` from SIGTERM until they close.
 * The HTTP readiness gate and the gRPC health service read it; listeners hear every change (the
 * gRPC health `Watch` stream).
 *
 * @example
 * ```ts
 * const readiness = new RoleReadiness();
 * await startInstance(settings, { logger, readiness }); // answers 503 until…
 * readiness.markReady();
 * ```
 */
export class RoleReadiness {
  #state: ReadinessState = 'starting';
  readonly #listeners = new Set<(state: ReadinessState) => void>();

  get state(): ReadinessState {
    return this.#state;
  }

  /** Whether probes should say "send me traffic": only while ready. */
  get ready(): boolean {
    return this.#state === 'ready';
  }

  /**
   * Whether requests are served: from ready on, draining included — the drain delay exists so that
   * requests a load balancer still sends while it notices the failing readiness are answered.
   */
  get serving(): boolean {
    return this.#state !== 'starting';
  }

  /** Starting → ready. Draining is final: a draining role never becomes ready again. */
  markReady(): void {
    if (this.#state === 'starting') this.#change('ready');
  }

  markDraining(): void {
    if (this.#state !== 'draining') this.#change('draining');
  }

  /** Calls `listener` on every change; returns the unsubscribe function. */
  onChange(listener: (state: ReadinessState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #change(state: ReadinessState): void {
    this.#state = state;
    for (const listener of this.#listeners) listener(state);
  }
}
