import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWK } from 'jose';
import pino from 'pino';
import { loadSettings, type Settings } from '../../src/config/settings.ts';
import { SecretBox } from '../../src/crypto/secrets.ts';
import { KeyManager } from '../../src/keys/key-manager.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { Db } from '../../src/store/database.ts';
import { listSigningKeys } from '../../src/store/signing-keys.repository.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { rememberSecret, testLogDir } from '../support/secrets.ts';

/** Settings for key tests: a temp data dir, the given external URL, then any overrides. */
export function keySettings(
  overrides: Partial<Settings> = {},
  externalUrl = 'https://tessera.example',
): Settings {
  const settings = loadSettings({
    TESSERA_EXTERNAL_URL: externalUrl,
    TESSERA_DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-keys-')),
  });
  return { ...settings, ...overrides };
}

export interface KeyWorld {
  keys: KeyManager;
  clock: ManualClock;
  box: SecretBox;
  settings: Settings;
  /** Another process with the same key-encryption key (a second replica, the CLI), on its own connection if given. */
  replica(connection?: Db): KeyManager;
  /** Registers every stored private key with the suite's leak check: none may appear in a log. */
  rememberPrivateKeys(): Promise<void>;
}

/** A KeyManager on `db` with a frozen clock, logging into the run's log directory at debug level. */
export function keyWorld(
  db: Db,
  settings: Settings = keySettings(),
  clock = new ManualClock('2026-01-01T00:00:00.000Z'),
): KeyWorld {
  const box = new SecretBox(randomBytes(32));
  const logger = createLogger({
    level: 'debug',
    destination: pino.destination({
      dest: join(testLogDir(), `keys-${randomBytes(4).toString('hex')}.log`),
      sync: true,
    }),
  });
  const create = (connection: Db = db) => new KeyManager({ db: connection, clock, box, settings, logger });
  return {
    keys: create(),
    clock,
    box,
    settings,
    replica: (connection) => create(connection),
    async rememberPrivateKeys() {
      for (const row of await listSigningKeys(db, 'instance')) {
        const jwk = JSON.parse(box.open(row.private_jwk_encrypted, `signing_key:${row.kid}`)) as JWK;
        for (const member of ['d', 'p', 'q'] as const) if (jwk[member]) rememberSecret(jwk[member]);
      }
    },
  };
}
