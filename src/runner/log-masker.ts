/** What a masked value becomes in the job log, as on the platform. */
export const MASK = '[MASKED]';

/**
 * Hides secret values in a stream of log text. A value may be split across two chunks, so the last
 * `longest - 1` characters are held back until the next chunk (or {@link flush}) shows whether they
 * start a secret.
 *
 * @example
 * const masker = new LogMasker(['s3cr3t-value']);
 * masker.push('token s3cr') + masker.push('3t-value done') + masker.flush(); // 'token [MASKED] done'
 */
export class LogMasker {
  readonly #secrets: string[];
  readonly #holdBack: number;
  #pending = '';

  constructor(secrets: readonly string[]) {
    // Longest first, so a secret containing another is masked whole.
    this.#secrets = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
    this.#holdBack = Math.max(0, ...this.#secrets.map((s) => s.length - 1));
  }

  /** Masked text that is safe to release now. */
  push(chunk: string): string {
    const text = this.#mask(this.#pending + chunk);
    const cut = Math.max(0, text.length - this.#holdBack);
    this.#pending = text.slice(cut);
    return text.slice(0, cut);
  }

  /** Everything still held back, masked. */
  flush(): string {
    const rest = this.#mask(this.#pending);
    this.#pending = '';
    return rest;
  }

  #mask(text: string): string {
    let masked = text;
    for (const secret of this.#secrets) masked = masked.split(secret).join(MASK);
    return masked;
  }
}
