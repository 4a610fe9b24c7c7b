import { execFileSync } from 'node:child_process';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { libtrustKeyId } from '../../src/registry/libtrust-key-id.ts';
import { certificateBase64Der, selfSignedCertificate } from '../../src/registry/registry-certificate.ts';

/** PEERS.md's shell pipeline: what distribution computes from a bundle certificate. */
function libtrustKidByShell(certificatePem: string): string {
  return execFileSync(
    'bash',
    [
      '-c',
      "openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | head -c 30 | base32 -w0 | sed 's/.\\{4\\}/&:/g;s/:$//'",
    ],
    { input: certificatePem },
  )
    .toString()
    .trim();
}

describe('libtrust key IDs and registry certificates', () => {
  for (const [type, options] of [
    ['rsa', { modulusLength: 2048 }],
    ['ec', { namedCurve: 'P-256' }],
  ] as const) {
    it(`match the openssl pipeline for a self-signed ${type} certificate`, async () => {
      const { privateKey, publicKey } = generateKeyPairSync(
        type as 'rsa',
        options as { modulusLength: number },
      );
      const certificate = await selfSignedCertificate(
        privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      );
      const x509 = new X509Certificate(certificate);
      expect(x509.subject).toBe('CN=tessera-registry');
      expect(x509.checkPrivateKey(privateKey)).toBe(true);
      expect(x509.verify(x509.publicKey)).toBe(true);
      const kid = libtrustKeyId(publicKey.export({ type: 'spki', format: 'der' }));
      expect(kid).toMatch(/^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
      expect(kid).toBe(libtrustKidByShell(certificate));
      expect(Buffer.from(certificateBase64Der(certificate), 'base64').equals(x509.raw)).toBe(true);
    });
  }

  it('refuses a key openssl cannot read, with a message that holds no key material', async () => {
    await expect(
      selfSignedCertificate('-----BEGIN PRIVATE KEY-----\nbm9wZQ==\n-----END PRIVATE KEY-----\n'),
    ).rejects.toThrow(/openssl failed/);
  });
});
