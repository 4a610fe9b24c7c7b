import { createHash, createPublicKey, type JsonWebKey } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding (the input here is always 30 bytes: 48 characters, no padding due). */
function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * The libtrust key ID of a public key, given its DER SubjectPublicKeyInfo: SHA-256, first 30 bytes,
 * base32, twelve groups of four joined by `:`. The registry (distribution 2.8) looks a token's `kid`
 * up among its root certificates by exactly this ID and rejects an RFC 7638 thumbprint, which is why
 * registry tokens carry it instead of the `kid` every other Tessera JWT has.
 *
 * @example
 * libtrustKeyId(spki) // 'ABCD:EFGH:…' (59 characters)
 */
export function libtrustKeyId(spkiDer: Uint8Array): string {
  const digest = createHash('sha256').update(spkiDer).digest().subarray(0, 30);
  return base32(digest).match(/.{4}/g)!.join(':');
}

/** The DER SubjectPublicKeyInfo of a public JWK. */
export function spkiOfJwk(jwk: JsonWebKey): Buffer {
  return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' });
}
