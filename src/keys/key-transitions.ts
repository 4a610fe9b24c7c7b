import { recordAudit, type Actor } from '../audit/audit-log.ts';
import type { Trx } from '../store/database.ts';
import type { SigningKey } from '../store/schema.ts';
import {
  deleteSigningKey,
  insertSigningKey,
  updateSigningKeyState,
  type SigningKeyState,
} from '../store/signing-keys.repository.ts';
import type { Clock } from '../util/clock.ts';
import type { SealedKey } from './seal-key.ts';

/**
 * The four changes a signing key goes through, each written with its audit event in the caller's
 * transaction: created (as `next`, or straight to `active` on first start), activated, retired, removed.
 */
export interface Transition {
  trx: Trx;
  clock: Clock;
  actor: Actor;
}

const audit = (t: Transition, action: string, key: Pick<SigningKey, 'kid' | 'role' | 'alg'>) =>
  recordAudit(t.trx, t.clock, t.actor, {
    action: `signing_key.${action}`,
    entity: { type: 'signing_key', id: key.kid },
    details: { role: key.role, alg: key.alg },
  });

/** Stores a new key as `next` or `active`. */
export async function addKey(
  t: Transition,
  role: string,
  sealed: SealedKey,
  state: Extract<SigningKeyState, 'next' | 'active'>,
): Promise<SigningKey> {
  const now = t.clock.now().toISOString();
  const key = await insertSigningKey(t.trx, {
    ...sealed,
    role,
    state,
    created_at: now,
    activated_at: state === 'active' ? now : null,
    retired_at: null,
    remove_after: null,
  });
  await audit(t, 'created', key);
  if (state === 'active') await audit(t, 'activated', key);
  return key;
}

/** Makes a key the one that signs. */
export async function activateKey(t: Transition, key: SigningKey): Promise<void> {
  await updateSigningKeyState(t.trx, key.kid, { state: 'active', activated_at: t.clock.now().toISOString() });
  await audit(t, 'activated', key);
}

/** Stops signing with a key; it stays published until `removeAfter`, when its last token has expired. */
export async function retireKey(t: Transition, key: SigningKey, removeAfter: Date): Promise<void> {
  await updateSigningKeyState(t.trx, key.kid, {
    state: 'retired',
    retired_at: t.clock.now().toISOString(),
    remove_after: removeAfter.toISOString(),
  });
  await audit(t, 'retired', key);
}

/** Deletes a key: tokens it signed no longer verify anywhere that refreshes its JWKS. */
export async function removeKey(t: Transition, key: SigningKey): Promise<void> {
  await deleteSigningKey(t.trx, key.kid);
  await audit(t, 'removed', key);
}
