import type { Generated, Selectable } from 'kysely';

/*
 * Row types of the Cloud Connector tables (migration 004). Times are ISO strings, flags 0/1, lists
 * and maps JSON text, as everywhere in the store.
 */

/** A license held by the license authority. */
export interface LicensesTable {
  id: Generated<number>;
  licensee: string;
  email: string;
  plan: string;
  /** JSON `[{ "name": "duo_pro", "seats": 10 }]`. */
  add_ons: string;
  starts_at: string;
  expires_at: string;
  revoked: number;
  revoked_at: string | null;
  /** Keyed digest of the activation code, which is shown once. */
  activation_code_digest: string;
  /** Keyed digest of the license key handed to the activated instance; null before activation. */
  license_key_digest: string | null;
  instance_uuid: string | null;
  activated_at: string | null;
  last_sync_at: string | null;
  /** JSON `{ "duo_pro": 3 }`: the seat assignments the instance reported at its last sync. */
  seats_in_use: string;
  created_at: string;
}

/** The instance's own Cloud Connector state: exactly one row. */
export interface CloudConnectorStatesTable {
  id: Generated<number>;
  slot: Generated<number>;
  instance_uuid: string;
  license_id: string | null;
  /** Sealed under the key-encryption key: the instance presents it at every sync. */
  license_key_encrypted: string | null;
  licensee: string | null;
  plan: string | null;
  /** JSON `[{ "name", "seats" }]`, as the authority returned it at activation. */
  license_add_ons: string;
  license_starts_at: string | null;
  license_expires_at: string | null;
  activated_at: string | null;
  /** Sealed: the SaaS service account's access token (`service_account` mode). */
  service_account_token_encrypted: string | null;
  /** Sealed: the current instance token. */
  instance_token_encrypted: string | null;
  instance_token_issuer: string | null;
  instance_token_scopes: string;
  instance_token_expires_at: string | null;
  last_sync_attempt_at: string | null;
  last_sync_success_at: string | null;
  last_sync_error: string | null;
  sync_failures: number;
  next_sync_at: string | null;
  created_at: string;
}

/** A user's seat of an add-on on this instance. */
export interface AddOnSeatsTable {
  id: Generated<number>;
  add_on: string;
  user_id: number;
  assigned_at: string;
}

export type License = Selectable<LicensesTable>;
export type CloudConnectorState = Selectable<CloudConnectorStatesTable>;
export type AddOnSeat = Selectable<AddOnSeatsTable>;
