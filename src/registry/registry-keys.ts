import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import type { SecretBox } from '../crypto/secrets.ts';
import { openPrivateJwk } from '../keys/seal-key.ts';
import type { Executor } from '../store/database.ts';
import {
  findRegistryCertificate,
  saveRegistryCertificate,
} from '../store/registry-certificates.repository.ts';
import type { SigningKey } from '../store/schema.ts';
import { findSigningKeyByKid, listSigningKeys } from '../store/signing-keys.repository.ts';
import type { Clock } from '../util/clock.ts';
import { libtrustKeyId, spkiOfJwk } from './libtrust-key-id.ts';
import { certificateBase64Der, selfSignedCertificate } from './registry-certificate.ts';

/** The signing-key role of the registry token service. */
export const REGISTRY_KEY_ROLE = 'registry';

export interface RegistryKeyDeps {
  db: Executor;
  box: SecretBox;
  clock: Clock;
  /** Send the certificate as `x5c` too. */
  x5c: boolean;
}

/** One registry key as the operator sees it. */
export interface RegistryKeyDescription {
  /** RFC 7638 thumbprint: the key's id in Tessera (`tessera keys list`). */
  thumbprint: string;
  /** What registry tokens carry as `kid`, and what the registry computes from the certificate. */
  libtrustKid: string;
  state: SigningKey['state'];
  certificatePem: string;
}

const ORDER = { active: 0, next: 1, retired: 2 } as const;

/**
 * The registry's view of its signing keys: each key wrapped in a self-signed certificate (made once,
 * kept in the store so every replica hands out the same one), the bundle the registry is configured
 * with, and the JWT header that lets the registry find the key.
 *
 * @example
 * const registryKeys = new RegistryKeys({ db, box, clock, x5c: false });
 * await keys.signJwt('registry', claims, { ..., keyHeader: (kid) => registryKeys.header(kid) });
 */
export class RegistryKeys {
  readonly #headers = new Map<string, Promise<Record<string, unknown>>>();
  readonly #certificates = new Map<string, Promise<string>>();

  constructor(private readonly deps: RegistryKeyDeps) {}

  /** `kid` (libtrust) and, when configured, `x5c` for the key with this thumbprint. Cached per key. */
  header(thumbprint: string): Promise<Record<string, unknown>> {
    let header = this.#headers.get(thumbprint);
    if (!header) {
      header = this.#buildHeader(thumbprint);
      this.#headers.set(thumbprint, header);
      header.catch(() => this.#headers.delete(thumbprint));
    }
    return header;
  }

  /** Every key a registry must trust now (active, next, retired ones whose tokens may be valid), active first. */
  async describe(): Promise<RegistryKeyDescription[]> {
    const now = this.deps.clock.now().toISOString();
    const rows = (await listSigningKeys(this.deps.db, REGISTRY_KEY_ROLE))
      .filter((key) => key.state !== 'retired' || (key.remove_after !== null && key.remove_after > now))
      .sort((a, b) => ORDER[a.state] - ORDER[b.state] || b.id - a.id);
    return Promise.all(
      rows.map(async (row) => ({
        thumbprint: row.kid,
        libtrustKid: libtrustKidOf(row),
        state: row.state,
        certificatePem: await this.certificate(row),
      })),
    );
  }

  /** The PEM bundle for the registry's `auth.token.rootcertbundle`. */
  async bundle(): Promise<string> {
    return (await this.describe()).map((key) => key.certificatePem).join('');
  }

  /** The key's certificate, made with openssl and stored the first time it is asked for. */
  certificate(row: SigningKey): Promise<string> {
    let certificate = this.#certificates.get(row.kid);
    if (!certificate) {
      certificate = this.#loadOrCreateCertificate(row);
      this.#certificates.set(row.kid, certificate);
      certificate.catch(() => this.#certificates.delete(row.kid));
    }
    return certificate;
  }

  async #loadOrCreateCertificate(row: SigningKey): Promise<string> {
    const stored = await findRegistryCertificate(this.deps.db, row.kid);
    if (stored) return stored;
    const privateKeyPem = createPrivateKey({
      key: openPrivateJwk(this.deps.box, row) as JsonWebKey,
      format: 'jwk',
    }).export({ type: 'pkcs8', format: 'pem' }) as string;
    const made = await selfSignedCertificate(privateKeyPem);
    return saveRegistryCertificate(this.deps.db, row.kid, made, this.deps.clock.now().toISOString());
  }

  async #buildHeader(thumbprint: string): Promise<Record<string, unknown>> {
    const row = await findSigningKeyByKid(this.deps.db, thumbprint);
    if (!row || row.role !== REGISTRY_KEY_ROLE) throw new Error(`no registry signing key ${thumbprint}`);
    const header: Record<string, unknown> = { kid: libtrustKidOf(row) };
    if (this.deps.x5c) header.x5c = [certificateBase64Der(await this.certificate(row))];
    return header;
  }
}

function libtrustKidOf(row: SigningKey): string {
  return libtrustKeyId(spkiOfJwk(JSON.parse(row.public_jwk) as JsonWebKey));
}
