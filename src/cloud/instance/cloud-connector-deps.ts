import type { Settings } from '../../config/settings.ts';
import type { Digester, SecretBox } from '../../crypto/secrets.ts';
import type { KeyManager } from '../../keys/key-manager.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Db } from '../../store/database.ts';
import type { Clock } from '../../util/clock.ts';
import type { UnitPrimitiveCatalogue } from '../unit-primitive-catalogue.ts';
import type { CloudConnectorMetrics } from './cloud-connector-metrics.ts';

/** What the instance side of Cloud Connector needs. */
export interface CloudConnectorDeps {
  db: Db;
  clock: Clock;
  settings: Pick<Settings, 'externalUrl' | 'realm' | 'cloudConnector'>;
  /** Seals the license key, the service account's token and the instance token at rest. */
  box: SecretBox;
  /** Keys the global user id hash. */
  digester: Digester;
  /** Signs user AI tokens and (SaaS realm) the instance's own instance token, with role `instance`. */
  keys: KeyManager;
  catalogue: UnitPrimitiveCatalogue;
  logger: Logger;
  metrics: CloudConnectorMetrics;
  /** Outbound HTTP to the license authority or the SaaS instance; the global fetch by default. */
  fetch: typeof fetch;
}

/** Contexts of the sealed secrets: a ciphertext moved to another column does not open. */
export const SEALED = {
  licenseKey: 'cloud_connector.license_key',
  serviceAccountToken: 'cloud_connector.service_account_token',
  instanceToken: 'cloud_connector.instance_token',
} as const;

/** The signing-key role of the instance's own tokens. */
export const INSTANCE_KEY_ROLE = 'instance';
