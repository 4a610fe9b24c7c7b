import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * scrypt cost for new passwords: N = 2^15, r = 8, p = 1 (32 MiB, about 0.1 s on one core). The
 * parameters are stored with each hash, so raising them later leaves old hashes verifiable.
 */
export const SCRYPT_PARAMETERS = { N: 2 ** 15, r: 8, p: 1 } as const;

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Refuse to run scrypt with a cost read from the store above this: a tampered row must not exhaust memory. */
const MAX_N = 2 ** 20;

/** Shortest and longest password accepted when one is set. */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

function derive(
  password: string,
  salt: Buffer,
  params: { N: number; r: number; p: number },
): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_BYTES, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/**
 * The stored form of a password: `scrypt$<N>$<r>$<p>$<salt>$<hash>` (salt and hash in base64url).
 *
 * @example
 * const digest = await hashPassword('correct horse battery staple');
 * await verifyPassword('correct horse battery staple', digest); // true
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const { N, r, p } = SCRYPT_PARAMETERS;
  const key = await derive(password, salt, SCRYPT_PARAMETERS);
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

let dummyDigest: Promise<string> | undefined;

/**
 * True when the password matches the stored digest. With no digest (unknown user, a bot, a user
 * without a password) it still spends one scrypt on a dummy digest and answers false, so the time
 * taken does not tell whether the account exists.
 */
export async function verifyPassword(password: string, digest: string | null | undefined): Promise<boolean> {
  const parsed = digest ? parseDigest(digest) : undefined;
  if (!parsed) {
    dummyDigest ??= hashPassword(randomBytes(SALT_BYTES).toString('base64url'));
    const dummy = parseDigest(await dummyDigest)!;
    timingSafeEqual(await derive(password, dummy.salt, dummy), dummy.key);
    return false;
  }
  const key = await derive(password, parsed.salt, parsed);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

function parseDigest(
  digest: string,
): { N: number; r: number; p: number; salt: Buffer; key: Buffer } | undefined {
  const parts = digest.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every(Number.isSafeInteger) || N > MAX_N || r > 32 || p > 16) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const key = Buffer.from(parts[5]!, 'base64url');
  return key.length === KEY_BYTES ? { N, r, p, salt, key } : undefined;
}

/** Why a new password is refused, or null when it is acceptable. */
export function passwordProblem(password: string): string | null {
  if (password.length < PASSWORD_MIN_LENGTH)
    return `is too short (minimum is ${PASSWORD_MIN_LENGTH} characters)`;
  if (password.length > PASSWORD_MAX_LENGTH)
    return `is too long (maximum is ${PASSWORD_MAX_LENGTH} characters)`;
  return null;
}

/**
 * A password for an administrator to hand over once (a new account, a reset): 24 characters of
 * base64url, 144 bits, well inside the length bounds.
 */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
