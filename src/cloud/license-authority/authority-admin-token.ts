import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { constantTimeEqual, randomSecret } from '../../crypto/secrets.ts';

/** Admin tokens of the license authority carry this prefix. */
export const AUTHORITY_ADMIN_TOKEN_PREFIX = 'tslaa-';

const FILE_NAME = join('license-authority', 'admin-token.sha256');

/** Checks a presented admin token; made by {@link loadAuthorityAdminToken}. */
export interface AuthorityAdminToken {
  matches(presented: string | undefined): boolean;
  /** The plaintext when it was generated just now (print it once), else undefined. */
  generated: string | undefined;
}

/**
 * The license authority's admin credential: `TESSERA_LICENSE_AUTHORITY_ADMIN_TOKEN` when set, else a
 * token generated once into `<dataDir>/license-authority/` — only its SHA-256 is written, the
 * plaintext is returned for printing once. (A plain hash suffices: the token is 192 random bits.)
 */
export function loadAuthorityAdminToken(
  dataDir: string,
  configured: string | undefined,
): AuthorityAdminToken {
  let digest: string;
  let generated: string | undefined;
  if (configured !== undefined) {
    digest = sha256(configured);
  } else {
    const path = join(dataDir, FILE_NAME);
    if (existsSync(path)) {
      digest = readFileSync(path, 'utf8').trim();
    } else {
      generated = AUTHORITY_ADMIN_TOKEN_PREFIX + randomSecret();
      digest = sha256(generated);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `${digest}\n`, { mode: 0o600 });
      chmodSync(path, 0o600);
    }
  }
  return {
    generated,
    matches: (presented) => presented !== undefined && constantTimeEqual(sha256(presented), digest),
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
