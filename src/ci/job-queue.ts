import { EventEmitter } from 'node:events';

/**
 * Wakes runners waiting in `POST /jobs/request` when a job becomes pending in this process. Another
 * replica's jobs are found by the waiters' periodic re-check, so this is a latency shortcut only.
 */
export class JobQueueSignal {
  readonly #events = new EventEmitter();

  constructor() {
    this.#events.setMaxListeners(0);
  }

  /** Jobs may be waiting: every waiter looks again. */
  notify(): void {
    this.#events.emit('pending');
  }

  /** Resolves on the next notification or after `ms`, whichever comes first. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#events.off('pending', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#events.once('pending', done);
    });
  }
}
