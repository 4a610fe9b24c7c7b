import { SdkError } from './errors.ts';

/** Three base64url segments and nothing else: no padding, whitespace, line breaks or fourth segment. */
const COMPACT = /^([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]*)$/;
/** Value (0–63) of each base64url character, indexed by char code; -1 for the rest. */
const VALUE = new Int8Array(128).fill(-1);
for (const [index, character] of [
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
].entries()) {
  VALUE[character.charCodeAt(0)] = index;
}

/**
 * Refuses a compact JWS that is not in its one canonical form (RFC 7515 §2 and §7.1: base64url
 * without padding, whitespace or line breaks; RFC 4648 §3.5: unused trailing bits zero), and returns
 * its header and payload segments (still encoded). jose decodes `sig==`, `sig ` and a last character with other
 * trailing bits to the same bytes, so one signed token would have many spellings — each a
 * "different" token to caches, logs and deny-lists.
 *
 * @example
 * ```ts
 * const [header, payload] = assertCanonicalCompact(token); // throws SdkError('invalid_token', 'malformed', …) on `a.b.c==`
 * ```
 */
export function assertCanonicalCompact(token: string): [header: string, payload: string] {
  // One regular expression over the whole token: this runs on every verification, hot path included.
  const segments = COMPACT.exec(token);
  if (
    segments === null ||
    !hasZeroTrailingBits(segments[1]!) ||
    !hasZeroTrailingBits(segments[2]!) ||
    !hasZeroTrailingBits(segments[3]!)
  ) {
    throw new SdkError('invalid_token', 'malformed', 'the token is malformed');
  }
  return [segments[1]!, segments[2]!];
}

/** Scratch space for {@link decodeJsonSegment}: a verified token is at most 8 KiB, so its parts fit. */
const scratch = Buffer.allocUnsafe(8 * 1024);

/**
 * Reads a base64url segment of a token as JSON the way jose does (base64url, UTF-8, `JSON.parse`: the
 * last of duplicate members wins); `undefined` when it is not a JSON object. Decodes through one
 * reused buffer: this runs on every verification.
 *
 * @example
 * ```ts
 * const [, payload] = assertCanonicalCompact(token);
 * decodeJsonSegment(payload)?.iss;
 * ```
 */
export function decodeJsonSegment(segment: string): Record<string, unknown> | undefined {
  if (segment.length > (scratch.length / 3) * 4) return undefined;
  const length = scratch.write(segment, 'base64url');
  let value: unknown;
  try {
    value = JSON.parse(scratch.toString('utf8', 0, length));
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Whether the last character of a base64url segment leaves its unused bits zero (RFC 4648 §3.5). */
function hasZeroTrailingBits(segment: string): boolean {
  // Length 2 or 3 (mod 4) leaves 4 or 2 unused bits in the last character; length 1 (mod 4) encodes
  // no whole byte at all.
  const unusedBits = [0, -1, 4, 2][segment.length % 4]!;
  if (unusedBits <= 0) return unusedBits === 0;
  const value = VALUE[segment.charCodeAt(segment.length - 1)]!;
  return (value & ((1 << unusedBits) - 1)) === 0;
}
