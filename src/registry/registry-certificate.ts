import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Subject of every registry certificate; the registry does not read it, operators do. */
export const REGISTRY_CERTIFICATE_SUBJECT = '/CN=tessera-registry';

/** Ten years: the certificate only carries the key; the key's own rotation decides how long it is used. */
const VALIDITY_DAYS = '3650';
const OPENSSL_TIMEOUT_MS = 15_000;

/**
 * A self-signed X.509 certificate for a private key (PKCS#8 PEM), made by openssl. The registry only
 * trusts keys that come as certificates in its `rootcertbundle`; a bare public key does not work.
 * openssl reads the key from a file (it cannot read one from a pipe): the file lives in a private
 * directory, in memory where the system has one (`/dev/shm`), only while openssl runs.
 *
 * @example
 * const pem = await selfSignedCertificate(privateKey.export({ type: 'pkcs8', format: 'pem' }));
 */
export async function selfSignedCertificate(privateKeyPem: string): Promise<string> {
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'tessera-registry-'));
  try {
    const keyFile = join(dir, 'key.pem');
    writeFileSync(keyFile, privateKeyPem, { mode: 0o600 });
    return await runOpenssl([
      'req',
      '-x509',
      '-new',
      '-key',
      keyFile,
      '-subj',
      REGISTRY_CERTIFICATE_SUBJECT,
      '-days',
      VALIDITY_DAYS,
      '-sha256',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runOpenssl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: OPENSSL_TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', (error) => reject(new Error(`openssl could not be run: ${error.message}`)));
    child.on('close', (code) => {
      if (code === 0 && stdout.includes('BEGIN CERTIFICATE')) resolve(stdout.trim() + '\n');
      // openssl's stderr names the failing step; it never echoes key material.
      else
        reject(new Error(`openssl failed to make the registry certificate (exit ${code}): ${stderr.trim()}`));
    });
  });
}

/** The certificate's DER in standard base64: one entry of an `x5c` header. */
export function certificateBase64Der(pem: string): string {
  return new X509Certificate(pem).raw.toString('base64');
}
