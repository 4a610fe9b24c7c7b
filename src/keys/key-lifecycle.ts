import { findSigningKeyByState, listSigningKeys } from '../store/signing-keys.repository.ts';
import { addSeconds } from '../util/clock.ts';
import { activateKey, addKey, removeKey, retireKey, type Transition } from './key-transitions.ts';
import type { SealedKey } from './seal-key.ts';

/*
 * The steps of a role's key lifecycle. Each runs inside a transaction that already holds the role's
 * key lock, so it reads the current state and acts on it without racing another process.
 */

/** Where new keys come from: usually one generated before the lock was taken, more only if needed. */
export type KeySupply = () => Promise<SealedKey>;

/** The kids a rotation touched. */
export interface RotationResult {
  /** The key that signs from now on (the previous `next`). */
  activated: string;
  /** The key that signed until now, still published until its tokens expire; null on a first rotation. */
  retired: string | null;
  /** The key published ahead of time for the rotation after this one. */
  next: string;
}

/** Creates whichever of the active and next keys is missing; returns the kids created. */
export async function fillMissingKeys(t: Transition, role: string, supply: KeySupply): Promise<string[]> {
  const created: string[] = [];
  if (!(await findSigningKeyByState(t.trx, role, 'active'))) {
    created.push((await addKey(t, role, await supply(), 'active')).kid);
  }
  if (!(await findSigningKeyByState(t.trx, role, 'next'))) {
    created.push((await addKey(t, role, await supply(), 'next')).kid);
  }
  return created;
}

/**
 * next → active, active → retired (published for `retiredLifetimeSeconds` more), and a new next key.
 * The new active key has been in the JWKS since it was created, so verifiers already know it.
 */
export async function rotateKeys(
  t: Transition,
  role: string,
  supply: KeySupply,
  retiredLifetimeSeconds: number,
): Promise<RotationResult> {
  const active = await findSigningKeyByState(t.trx, role, 'active');
  const next =
    (await findSigningKeyByState(t.trx, role, 'next')) ?? (await addKey(t, role, await supply(), 'next'));
  // Retire first so that at no point does the role have two active keys.
  if (active) await retireKey(t, active, addSeconds(t.clock.now(), retiredLifetimeSeconds));
  await activateKey(t, next);
  const newNext = await addKey(t, role, await supply(), 'next');
  return { activated: next.kid, retired: active?.kid ?? null, next: newNext.kid };
}

/** Deletes retired keys whose last token has expired; returns their kids. */
export async function removeExpiredKeys(t: Transition, role: string): Promise<string[]> {
  const now = t.clock.now().toISOString();
  // Every timestamp is written by toISOString, so comparing the strings compares the instants.
  const expired = (await listSigningKeys(t.trx, role)).filter(
    (key) => key.state === 'retired' && key.remove_after !== null && key.remove_after <= now,
  );
  for (const key of expired) await removeKey(t, key);
  return expired.map((key) => key.kid);
}

/** When the active key is due to be replaced by the scheduler. */
export function nextRotationAt(activatedAt: string, intervalSeconds: number): Date {
  return addSeconds(new Date(activatedAt), intervalSeconds);
}
