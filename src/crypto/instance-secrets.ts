import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Settings } from '../config/settings.ts';
import { Digester, SecretBox } from './secrets.ts';

export interface InstanceSecrets {
  digester: Digester;
  box: SecretBox;
}

interface SecretsFile {
  keyEncryptionKey: string;
  digestSecret: string;
}

const FILE_NAME = 'secrets.json';

/**
 * The two instance keys: taken from the environment when set (what every replica of a cluster must
 * share), otherwise generated once into the data directory, which is fine for one embedded node only.
 */
export function loadInstanceSecrets(settings: Settings, warn: (message: string) => void): InstanceSecrets {
  let kek = settings.keyEncryptionKey;
  let digest = settings.digestSecret;
  if (!kek || !digest) {
    const stored = readOrCreate(join(settings.dataDir, FILE_NAME), warn);
    kek ??= stored.keyEncryptionKey;
    digest ??= stored.digestSecret;
  }
  return {
    box: new SecretBox(Buffer.from(kek, 'base64url')),
    digester: new Digester(Buffer.from(digest, 'base64url')),
  };
}

function readOrCreate(path: string, warn: (message: string) => void): SecretsFile {
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as SecretsFile;
  const created: SecretsFile = {
    keyEncryptionKey: randomBytes(32).toString('base64url'),
    digestSecret: randomBytes(32).toString('base64url'),
  };
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify(created, null, 2) + '\n', { mode: 0o600 });
  chmodSync(path, 0o600);
  warn(
    `generated the key-encryption key and digest secret into ${path}; set TESSERA_KEY_ENCRYPTION_KEY and TESSERA_DIGEST_SECRET for production or more than one replica`,
  );
  return created;
}
