import type { Generated, Selectable } from 'kysely';

/*
 * Row types of the OAuth provider's tables and of service accounts (migration 005). Times are ISO
 * strings, flags 0/1, lists JSON text, as everywhere in the store. No secret is ever stored: only
 * keyed digests.
 */

/** A registered OAuth client: instance-wide (made by an administrator) or a user's own. */
export interface OAuthApplicationsTable {
  id: Generated<number>;
  /** The `client_id` (`application_id` on the API): random, public. */
  uid: string;
  name: string;
  /** Keyed digest of the `gloas-` secret, which is shown once. */
  secret_digest: string;
  /** JSON array of the exact redirect URIs allowed. */
  redirect_uris: string;
  /** JSON array of the scopes the application may ask for. */
  scopes: string;
  /** 1: must authenticate at the token endpoint; 0: a public client (PKCE required instead). */
  confidential: number;
  /** 1: no consent screen. */
  trusted: number;
  /** 1: may issue tokens carrying the dynamic `user:<id>` scope (composite identity); admin only. */
  dynamic_user_scope: number;
  /** null: an instance-wide application; otherwise the user who owns it. */
  owner_id: number | null;
  created_at: string;
}

export type OAuthFlow = 'authorization_code' | 'device_code' | 'composite';

/** One authorization a user (or a service account acting for a user) gave one application. */
export interface OAuthGrantsTable {
  id: Generated<number>;
  application_id: number;
  /** The token owner: the user who consented, or the service account of a composite token. */
  user_id: number;
  scopes: string;
  flow: OAuthFlow;
  /** Tag of the workflow a composite grant was made for, so the workflow's end revokes it. */
  workflow_id: string | null;
  /** When the user last authenticated before consenting (OIDC `auth_time`). */
  auth_time: string | null;
  created_at: string;
  revoked_at: string | null;
  /** Why: `revoked`, `refresh_token_reuse`, `authorization_code_reuse`, `workflow_ended`, … */
  revoked_reason: string | null;
}

/** An authorization code: single use, minutes long, bound to its redirect URI and PKCE challenge. */
export interface OAuthAuthorizationCodesTable {
  id: Generated<number>;
  grant_id: number;
  digest: string;
  redirect_uri: string;
  code_challenge: string | null;
  code_challenge_method: string | null;
  nonce: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

/** An access token and the refresh token issued with it (Doorkeeper's shape: one row per pair). */
export interface OAuthTokensTable {
  id: Generated<number>;
  grant_id: number;
  /** Keyed digest of the `gloat-` access token. */
  digest: string;
  /** Keyed digest of the `glort-` refresh token; null when none was issued (composite tokens). */
  refresh_digest: string | null;
  scopes: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  /** When the refresh token was exchanged: presenting it again is a replay. */
  refreshed_at: string | null;
  /** The pair whose refresh token produced this one. */
  previous_token_id: number | null;
}

export type DeviceCodeStatus = 'pending' | 'approved' | 'denied' | 'redeemed';

/** A device authorization (RFC 8628): the device polls with the device code while the user approves. */
export interface OAuthDeviceCodesTable {
  id: Generated<number>;
  application_id: number;
  digest: string;
  /** Keyed digest of the normalised user code (letters only, upper case). */
  user_code_digest: string;
  scopes: string;
  status: DeviceCodeStatus;
  interval_seconds: number;
  last_polled_at: string | null;
  /** Who approved or denied it. */
  user_id: number | null;
  grant_id: number | null;
  created_at: string;
  expires_at: string;
}

/** A bot user made as a service account: instance-wide, or provisioned by a top-level group. */
export interface ServiceAccountsTable {
  user_id: number;
  namespace_id: number | null;
  creator_id: number | null;
  created_at: string;
}

export interface OAuthTables {
  oauth_applications: OAuthApplicationsTable;
  oauth_grants: OAuthGrantsTable;
  oauth_authorization_codes: OAuthAuthorizationCodesTable;
  oauth_tokens: OAuthTokensTable;
  oauth_device_codes: OAuthDeviceCodesTable;
  service_accounts: ServiceAccountsTable;
}

export type OAuthApplication = Selectable<OAuthApplicationsTable>;
export type OAuthGrant = Selectable<OAuthGrantsTable>;
export type OAuthAuthorizationCode = Selectable<OAuthAuthorizationCodesTable>;
export type OAuthToken = Selectable<OAuthTokensTable>;
export type OAuthDeviceCode = Selectable<OAuthDeviceCodesTable>;
export type ServiceAccount = Selectable<ServiceAccountsTable>;
