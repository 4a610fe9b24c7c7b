import { recordAudit, type Actor } from '../audit/audit-log.ts';
import { TesseraError } from '../errors/tessera-error.ts';
import type { Db } from '../store/database.ts';
import type { Clock } from '../util/clock.ts';
import type { FailureLimiter } from './rate-limiter.ts';

/** One presented credential, as the throttle counts it. */
export interface AuthenticationAttempt {
  /** The credential type, which keeps its own counters: `glpat` (a token prefix without its dash), `basic:deploy_token`, … */
  credential: string;
  /** The client's address; null when unknown (counted under `unknown`). */
  ip: string | null;
  /** The account the credential names, when it names one (a deploy token's username); never a secret. */
  account?: string;
}

export interface AuthenticationThrottleDeps {
  db: Db;
  clock: Clock;
  limiter: FailureLimiter;
}

/** What a locked-out client is told: no hint of which key locked it. */
export const rateLimited = (retryAfterSeconds: number): TesseraError =>
  new TesseraError('rate_limited', 'Too many failed authentication attempts. Retry later.', {
    retryAfterSeconds,
  });

/**
 * Brute-force protection for credentials presented to the API (sign-in has its own, in
 * `identity/sign-in-failure.ts`, over the same limiter): failures are counted per credential type and
 * address, and per account when the credential names one. While any of those keys is over the limit,
 * {@link AuthenticationThrottle.assertAllowed} refuses with 429 before the credential is digested or
 * looked up. Each lockout is audited.
 *
 * @example
 * const attempt = { credential: 'glpat-', ip: request.ip };
 * await throttle.assertAllowed(attempt);
 * const principal = await authenticator.authenticate(token, { ip: request.ip });
 * if (!principal) await throttle.recordFailure(attempt);
 */
export class AuthenticationThrottle {
  constructor(private readonly deps: AuthenticationThrottleDeps) {}

  /** Throws 429 with the longest wait of the attempt's keys, or returns when it may go on. */
  async assertAllowed(attempt: AuthenticationAttempt): Promise<void> {
    // Runs before every authenticated request, most of which name no account: one key, no arrays.
    const waits =
      attempt.account === undefined
        ? [await this.deps.limiter.check(addressKeyOf(attempt))]
        : await Promise.all(keysOf(attempt).map(([, key]) => this.deps.limiter.check(key)));
    const retryAfter = Math.max(0, ...waits.map((wait) => wait ?? 0));
    if (retryAfter > 0) throw rateLimited(retryAfter);
  }

  /**
   * Counts a failure against each key of the attempt. The failure that locks a key is audited; single
   * failures are not (they are in `tessera_tokens_rejected_total`), so a bad token never writes to the
   * store and an anonymous client cannot turn requests into database writes.
   */
  async recordFailure(attempt: AuthenticationAttempt): Promise<void> {
    const keys = keysOf(attempt);
    const locks = await Promise.all(keys.map(([, key]) => this.deps.limiter.fail(key)));
    if (locks.every((lock) => lock === null)) return;
    const actor: Actor = { userId: null, name: attempt.account ?? 'anonymous', ip: attempt.ip };
    await this.deps.db.transaction().execute(async (trx) => {
      for (const [index, lock] of locks.entries()) {
        if (lock === null) continue;
        await recordAudit(trx, this.deps.clock, actor, {
          action: 'token.authentication_locked',
          entity: { type: 'credential', id: null },
          details: {
            credential_type: attempt.credential,
            scope: keys[index]![0],
            retry_after_seconds: lock,
          },
        });
      }
    });
  }

  /** After a success the account's count starts over; the address keeps its count (one client may hold many accounts). */
  async recordSuccess(attempt: AuthenticationAttempt): Promise<void> {
    const account = keysOf(attempt).find(([scope]) => scope === 'account');
    if (account) await this.deps.limiter.reset(account[1]);
  }
}

/** The counters an attempt touches: `[scope, key]`, the address always, the account when named. */
function keysOf(attempt: AuthenticationAttempt): Array<['address' | 'account', string]> {
  const keys: Array<['address' | 'account', string]> = [['address', addressKeyOf(attempt)]];
  if (attempt.account !== undefined) keys.push(['account', accountKeyOf(attempt)]);
  return keys;
}

const addressKeyOf = (attempt: AuthenticationAttempt) =>
  `auth:${attempt.credential}:ip:${attempt.ip ?? 'unknown'}`;
const accountKeyOf = (attempt: AuthenticationAttempt) =>
  `auth:${attempt.credential}:account:${(attempt.account ?? '').toLowerCase().slice(0, 255)}`;
