import { recordAudit, type Actor } from '../audit/audit-log.ts';
import type { FailureLimiter } from '../security/rate-limiter.ts';
import type { Db } from '../store/database.ts';
import type { User } from '../store/schema.ts';
import type { Clock } from '../util/clock.ts';

/**
 * Counts a failed sign-in against the account and the address, and audits it — and, when it is the
 * failure that locks either of them, the lockout too. The password is never part of it.
 */
export async function recordSignInFailure(
  deps: { db: Db; clock: Clock; limiter: FailureLimiter },
  failure: {
    login: string;
    user: User | undefined;
    ip: string | null;
    keys: { account: string; address: string };
    reason: string;
  },
): Promise<void> {
  const [accountLock, addressLock] = await Promise.all([
    deps.limiter.fail(failure.keys.account),
    deps.limiter.fail(failure.keys.address),
  ]);
  const actor: Actor = { userId: null, name: failure.login || 'anonymous', ip: failure.ip };
  const entity = { type: 'user', id: failure.user?.id ?? null };
  await deps.db.transaction().execute(async (trx) => {
    await recordAudit(trx, deps.clock, actor, {
      action: 'user.sign_in_failed',
      entity,
      details: { login: failure.login, reason: failure.reason },
    });
    for (const [scope, lock] of [
      ['account', accountLock],
      ['address', addressLock],
    ] as const) {
      if (lock === null) continue;
      await recordAudit(trx, deps.clock, actor, {
        action: 'user.sign_in_locked',
        entity,
        details: { login: failure.login, scope, retry_after_seconds: lock },
      });
    }
  });
}
