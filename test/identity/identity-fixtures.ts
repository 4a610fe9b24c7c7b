import { randomBytes } from 'node:crypto';
import { TesseraError } from '../../src/errors/tessera-error.ts';
import type { ActingUser } from '../../src/identity/acting-user.ts';
import { hashPassword } from '../../src/identity/password.ts';
import type { Executor } from '../../src/store/database.ts';
import type { User } from '../../src/store/schema.ts';
import { createUser } from '../support/world.ts';
import { rememberSecret } from '../support/secrets.ts';

/** A person acting from the loopback address. */
export const as = (user: User): ActingUser => ({ user, ip: '127.0.0.1' });

/** A fresh random password, remembered for the log-leak check. */
export const newPassword = (): string => rememberSecret(`pw-${randomBytes(9).toString('base64url')}`);

/** A user who can sign in with the returned password. */
export async function createUserWithPassword(
  db: Executor,
  fields: Parameters<typeof createUser>[1] = {},
): Promise<{ user: User; password: string }> {
  const password = newPassword();
  const user = await createUser(db, { ...fields, password_digest: await hashPassword(password) });
  return { user, password };
}

/** The audit events with this action, oldest first, details parsed. */
export async function auditEvents(db: Executor, action: string) {
  const rows = await db
    .selectFrom('audit_events')
    .selectAll()
    .where('action', '=', action)
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ ...row, details: JSON.parse(row.details) as Record<string, unknown> }));
}

/** What a refused call threw: code, status, message and field of the TesseraError. */
export async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof TesseraError)) throw new Error(`expected a TesseraError, got ${String(error)}`);
  return { code: error.code, status: error.status, message: error.message, field: error.details.field };
}
