import type { JWK } from 'jose';
import type { SigningKey } from '../store/schema.ts';
import { toPublicJwk } from './public-jwk.ts';

/** A JSON Web Key Set (RFC 7517 §5). */
export interface Jwks {
  keys: JWK[];
}

/**
 * How long a verifier may keep a JWKS. Shorter than GitLab's day on purpose: a forced rotation
 * (`tessera keys rotate`, Admin → Signing keys) makes the just-created `next` key sign at the
 * following one, so the pre-publish lead time can be as short as the gap between two rotations. A
 * verifier that refetches only when its copy expires then refuses new tokens for at most this long.
 */
export const JWKS_CACHE_CONTROL = 'max-age=300, public, must-revalidate, no-transform';

const ORDER = { active: 0, next: 1, retired: 2 } as const;

/**
 * The keys a verifier needs at `now`: the active key, the next one (so verifiers already hold it when it
 * starts signing), and retired keys until `remove_after`, when their last token has expired. Active key
 * first, for clients that just take the first key.
 *
 * @example
 * toJwks(await listSigningKeys(db, 'instance'), new Date()); // { keys: [active, next, …retired] }
 */
export function toJwks(rows: readonly SigningKey[], now: Date): Jwks {
  const instant = now.toISOString();
  const published = rows
    // Every timestamp is written by toISOString, so comparing the strings compares the instants.
    .filter((key) => key.state !== 'retired' || (key.remove_after !== null && key.remove_after > instant))
    .sort((a, b) => ORDER[a.state] - ORDER[b.state] || b.id - a.id);
  return { keys: published.map((key) => toPublicJwk(JSON.parse(key.public_jwk) as JWK)) };
}
