import type { CloudConnectorState } from '../../store/cloud-connector.tables.ts';
import type { LicensedAddOn } from '../license-authority/license-add-ons.ts';
import type { CloudConnectorDeps } from './cloud-connector-deps.ts';
import type { AddOnView } from './seats.service.ts';

/** `GET /api/v4/admin/cloud_connector/status` and `tessera cloud status`: never a secret. */
export interface CloudConnectorStatus {
  instance_id: string;
  realm: string;
  mode: string;
  /** Where instance tokens come from: the license authority, the SaaS instance, or `self`. */
  source: string;
  license: {
    id: string;
    licensee: string | null;
    plan: string | null;
    add_ons: LicensedAddOn[];
    starts_at: string | null;
    expires_at: string | null;
    activated_at: string | null;
  } | null;
  service_account_token_stored: boolean;
  instance_token: { issuer: string | null; scopes: string[]; expires_at: string; expired: boolean } | null;
  sync: {
    last_attempt_at: string | null;
    last_success_at: string | null;
    last_error: string | null;
    consecutive_failures: number;
    next_attempt_at: string | null;
  };
  add_ons: AddOnView[];
}

export function cloudConnectorStatus(
  deps: CloudConnectorDeps,
  state: CloudConnectorState,
  addOns: AddOnView[],
): CloudConnectorStatus {
  const { settings } = deps;
  const source =
    settings.realm === 'saas'
      ? 'self'
      : settings.cloudConnector.mode === 'service_account'
        ? (settings.cloudConnector.saasUrl ?? '')
        : settings.cloudConnector.licenseAuthorityUrl;
  const expiresAt = state.instance_token_expires_at;
  return {
    instance_id: state.instance_uuid,
    realm: settings.realm,
    mode: settings.realm === 'saas' ? 'self_issued' : settings.cloudConnector.mode,
    source,
    license:
      state.license_id === null
        ? null
        : {
            id: state.license_id,
            licensee: state.licensee,
            plan: state.plan,
            add_ons: JSON.parse(state.license_add_ons) as LicensedAddOn[],
            starts_at: state.license_starts_at,
            expires_at: state.license_expires_at,
            activated_at: state.activated_at,
          },
    service_account_token_stored: state.service_account_token_encrypted !== null,
    instance_token:
      expiresAt === null
        ? null
        : {
            issuer: state.instance_token_issuer,
            scopes: JSON.parse(state.instance_token_scopes) as string[],
            expires_at: expiresAt,
            expired: new Date(expiresAt) <= deps.clock.now(),
          },
    sync: {
      last_attempt_at: state.last_sync_attempt_at,
      last_success_at: state.last_sync_success_at,
      last_error: state.last_sync_error,
      consecutive_failures: state.sync_failures,
      next_attempt_at: state.next_sync_at,
    },
    add_ons: addOns,
  };
}
