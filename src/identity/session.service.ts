import { recordAudit, type Actor } from '../audit/audit-log.ts';
import { constantTimeEqual, randomSecret, type Digester } from '../crypto/secrets.ts';
import { TesseraError } from '../errors/tessera-error.ts';
import type { FailureLimiter } from '../security/rate-limiter.ts';
import type { Db } from '../store/database.ts';
import type { Session, User } from '../store/schema.ts';
import { deleteSession, findSessionById, insertSession, touchSession } from '../store/sessions.repository.ts';
import { findUserById, findUserByLogin } from '../store/users.repository.ts';
import type { Clock } from '../util/clock.ts';
import { recordSignInFailure } from './sign-in-failure.ts';
import { verifyPassword } from './password.ts';

export interface SessionPolicy {
  /** A session unused this long ends. */
  idleTimeoutSeconds: number;
  /** A session ends this long after sign-in, however busy. */
  absoluteTimeoutSeconds: number;
}

export interface SessionDeps {
  db: Db;
  clock: Clock;
  digester: Digester;
  policy: SessionPolicy;
  /** Failed sign-ins, counted per account and per address. */
  limiter: FailureLimiter;
}

export interface SignedIn {
  user: User;
  /** The cookie's value: shown once, stored only as a keyed digest. */
  sessionId: string;
  csrfToken: string;
}

export interface ActiveSession {
  session: Session;
  user: User;
}

/** 256 bits: a session is as good as a password for as long as it lives. */
const SESSION_ID_BYTES = 32;
/** Longer than any password we accept by far; refused without running scrypt on megabytes. */
const MAX_PRESENTED_PASSWORD = 4096;
const MAX_LOGIN = 255;

/** One answer for an unknown login, a wrong password and a blocked account: no oracle. */
export const invalidLogin = (): TesseraError =>
  new TesseraError('unauthorized', 'Invalid login or password.');

/**
 * Signs a person in by username or email and password, and opens a session. Refuses with 429 while
 * the account or the address has too many recent failures; every failure and lockout is audited.
 *
 * @example
 * const { sessionId, csrfToken } = await signIn(deps, { login: 'alice', password, ip: request.ip });
 */
export async function signIn(
  deps: SessionDeps,
  input: { login: string; password: string; ip: string | null },
): Promise<SignedIn> {
  const login = input.login.trim().slice(0, MAX_LOGIN);
  const user = login ? await findUserByLogin(deps.db, login) : undefined;
  // Unknown logins are limited too, under their own key, so the limiter does not reveal which exist.
  const keys = {
    account: user ? `sign-in:user:${user.id}` : `sign-in:login:${login.toLowerCase()}`,
    address: `sign-in:ip:${input.ip ?? 'unknown'}`,
  };
  const waits = await Promise.all([deps.limiter.check(keys.account), deps.limiter.check(keys.address)]);
  const retryAfter = Math.max(...waits.map((wait) => wait ?? 0));
  if (retryAfter > 0) {
    throw new TesseraError('rate_limited', 'Too many failed sign-in attempts. Retry later.', {
      retryAfterSeconds: retryAfter,
    });
  }
  const matches =
    input.password.length <= MAX_PRESENTED_PASSWORD &&
    (await verifyPassword(input.password, user?.password_digest));
  if (!user || !matches || user.state !== 'active' || user.bot_kind !== null) {
    await recordSignInFailure(deps, {
      login,
      user,
      ip: input.ip,
      keys,
      reason: failureReason(user, matches),
    });
    throw invalidLogin();
  }
  await deps.limiter.reset(keys.account);

  const sessionId = randomSecret(SESSION_ID_BYTES);
  const now = deps.clock.now().toISOString();
  await deps.db.transaction().execute(async (trx) => {
    const id = deps.digester.digest(sessionId);
    await insertSession(trx, {
      id,
      user_id: user.id,
      created_at: now,
      last_seen_at: now,
      ip_address: input.ip,
    });
    await recordAudit(
      trx,
      deps.clock,
      { userId: user.id, name: user.username, ip: input.ip },
      {
        action: 'user.signed_in',
        entity: { type: 'user', id: user.id },
        details: { method: 'password' },
      },
    );
  });
  return { user, sessionId, csrfToken: csrfTokenFor(deps.digester, sessionId) };
}

function failureReason(user: User | undefined, matches: boolean): string {
  if (!user) return 'unknown_login';
  if (!matches) return 'invalid_password';
  return user.state !== 'active' ? 'blocked' : 'bot';
}

/**
 * The live session a cookie names, with its user; null when unknown, idle too long, past its absolute
 * lifetime, or its user is blocked. An expired session is deleted when found.
 */
export async function resolveSession(deps: SessionDeps, sessionId: string): Promise<ActiveSession | null> {
  if (sessionId.length === 0 || sessionId.length > 128) return null;
  const id = deps.digester.digest(sessionId);
  const session = await findSessionById(deps.db, id);
  if (!session) return null;
  const now = deps.clock.now().getTime();
  const lastSeen = Date.parse(session.last_seen_at);
  const idleEnds = lastSeen + deps.policy.idleTimeoutSeconds * 1000;
  const absoluteEnds = Date.parse(session.created_at) + deps.policy.absoluteTimeoutSeconds * 1000;
  if (now >= idleEnds || now >= absoluteEnds) {
    await deleteSession(deps.db, id);
    return null;
  }
  const user = await findUserById(deps.db, session.user_id);
  if (!user || user.state !== 'active') return null;
  // Writing on every request would serialise a busy browser's requests on one row; a coarser
  // last-seen costs at most this much of the idle timeout.
  const touchEvery = Math.min(60_000, deps.policy.idleTimeoutSeconds * 100);
  if (now - lastSeen >= touchEvery) {
    await touchSession(deps.db, id, new Date(now).toISOString());
  }
  return { session, user };
}

/** Ends a session (by its stored id, the digest) and audits the sign-out. */
export async function signOut(
  deps: Pick<SessionDeps, 'db' | 'clock'>,
  sessionRowId: string,
  actor: Actor,
): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const session = await findSessionById(trx, sessionRowId);
    if (!session) return;
    await deleteSession(trx, sessionRowId);
    await recordAudit(trx, deps.clock, actor, {
      action: 'user.signed_out',
      entity: { type: 'user', id: session.user_id },
    });
  });
}

/** The CSRF token bound to a session: derived, so nothing more is stored, and useless without the key. */
export function csrfTokenFor(digester: Digester, sessionId: string): string {
  return digester.digest(`csrf:${sessionId}`);
}

/** True when `presented` is the session's CSRF token (compared in constant time). */
export function csrfTokenMatches(digester: Digester, sessionId: string, presented: string): boolean {
  return constantTimeEqual(csrfTokenFor(digester, sessionId), presented);
}
