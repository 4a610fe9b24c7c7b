import type { Digester } from '../../crypto/secrets.ts';
import type { KeyManager } from '../../keys/key-manager.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { Db } from '../../store/database.ts';
import type { Clock } from '../../util/clock.ts';
import type { UnitPrimitiveCatalogue } from '../unit-primitive-catalogue.ts';

/** The signing-key role of the license authority (its own keys, its own JWKS). */
export const LICENSE_AUTHORITY_KEY_ROLE = 'license-authority';

/** What the license authority's services need. */
export interface LicenseAuthorityDeps {
  db: Db;
  clock: Clock;
  /** Digests activation codes and license keys (only digests are stored). */
  digester: Digester;
  keys: KeyManager;
  catalogue: UnitPrimitiveCatalogue;
  metrics: Metrics;
  /** The authority's URL: `iss` of its instance tokens and of its discovery document. */
  issuer: string;
  instanceTokenLifetimeSeconds: number;
}
