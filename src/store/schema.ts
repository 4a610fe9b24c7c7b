import type { Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { AiWorkflowTables } from './ai-workflows.tables.ts';
import type { CiTables } from './ci-schema.ts';
import type { AddOnSeatsTable, CloudConnectorStatesTable, LicensesTable } from './cloud-connector.tables.ts';
import type { OAuthTables } from './oauth.tables.ts';
import type { PipelineTriggerTables } from './pipeline-triggers.tables.ts';
import type { CiVariableTables } from './ci-variables.tables.ts';
import type { WorkflowRevocationTables } from './workflow-revocations.tables.ts';

/*
 * Row types of every table. Times are ISO-8601 UTC strings and flags are 0/1 integers in both engines,
 * so the same query means the same thing on SQLite and PostgreSQL.
 */

export interface UsersTable {
  id: Generated<number>;
  username: string;
  email: string;
  name: string;
  password_digest: string | null;
  is_admin: number;
  /** `deactivated`: set aside by an administrator (no credential works) until activated again. */
  state: 'active' | 'blocked' | 'deactivated';
  /** null for a person; the kind of bot otherwise. */
  bot_kind: 'project_bot' | 'group_bot' | 'service_account' | null;
  composite_identity_enforced: number;
  created_at: string;
}

/** Groups and personal namespaces, as on the platform: a project always lives in one. */
export interface NamespacesTable {
  id: Generated<number>;
  kind: 'group' | 'user';
  name: string;
  path: string;
  full_path: string;
  parent_id: number | null;
  owner_user_id: number | null;
  visibility: Visibility;
  description: string;
  created_at: string;
}

export type Visibility = 'public' | 'internal' | 'private';

export interface ProjectsTable {
  id: Generated<number>;
  name: string;
  path: string;
  full_path: string;
  namespace_id: number;
  visibility: Visibility;
  description: string;
  default_branch: string;
  creator_id: number | null;
  created_at: string;
}

export interface MembersTable {
  id: Generated<number>;
  source_type: 'project' | 'namespace';
  source_id: number;
  user_id: number;
  access_level: number;
  expires_at: string | null;
  created_at: string;
}

export interface AccessTokensTable {
  id: Generated<number>;
  kind: 'personal' | 'project' | 'group';
  user_id: number;
  /** Project or group the token's bot belongs to; null for personal tokens. */
  resource_id: number | null;
  name: string;
  description: string;
  digest: string;
  scopes: string;
  access_level: number | null;
  created_at: string;
  expires_at: string;
  revoked: number;
  revoked_at: string | null;
  last_used_at: string | null;
  last_used_ips: string;
  /** The token this one replaced by rotation; the chain is the rotation family. */
  previous_token_id: number | null;
  /** 1 for an impersonation token: a personal token an administrator made for the user. */
  impersonation: Generated<number>;
  /**
   * A fine-grained token's grants (a JSON array of `{access, permissions, project_id, group_id}`, one
   * per boundary); null for a classic token, which holds `scopes` instead.
   */
  granular_scopes: Generated<string | null>;
}

export interface SigningKeysTable {
  id: Generated<number>;
  role: string;
  kid: string;
  alg: string;
  state: 'next' | 'active' | 'retired';
  public_jwk: string;
  private_jwk_encrypted: string;
  created_at: string;
  activated_at: string | null;
  retired_at: string | null;
  /** After this instant no token signed by the key can still be valid, so it leaves the JWKS. */
  remove_after: string | null;
}

export interface SessionsTable {
  /** Keyed digest of the session id carried by the cookie. */
  id: string;
  user_id: number;
  created_at: string;
  last_seen_at: string;
  ip_address: string | null;
}

export interface AuditEventsTable {
  id: Generated<number>;
  created_at: string;
  author_id: number | null;
  author_name: string;
  action: string;
  entity_type: string;
  entity_id: string | null;
  target_type: string | null;
  target_id: string | null;
  target_details: string | null;
  ip_address: string | null;
  details: string;
}

export interface DeployTokensTable {
  id: Generated<number>;
  /** Exactly one of project_id and group_id is set: whose token it is. */
  project_id: number | null;
  group_id: number | null;
  name: string;
  username: string;
  /** Keyed digest of the current secret. */
  digest: string;
  /** Digest of the secret a rotation replaced, accepted until `previous_valid_until`. */
  previous_digest: string | null;
  previous_valid_until: string | null;
  /** The current secret sealed under the key-encryption key; only for `gitlab-deploy-token`, which CI jobs receive. */
  secret_sealed: string | null;
  scopes: string;
  expires_at: string | null;
  revoked: number;
  revoked_at: string | null;
  /** 1 when Auto DevOps provisioned it (and so revokes it when Auto DevOps stops). */
  auto_created: number;
  creator_id: number | null;
  created_at: string;
  rotated_at: string | null;
  last_used_at: string | null;
}

/** Instance-wide settings an administrator changes at run time (`PUT /application/settings`), as JSON values. */
export interface ApplicationSettingsTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface ProjectDeploySettingsTable {
  project_id: number;
  /** null: follow the instance default. */
  auto_devops_enabled: number | null;
  /** How long a rotated deploy token's old secret keeps working; null: the default (24 h). */
  deploy_token_grace_seconds: number | null;
  /** 1: `CI_DEPLOY_USER`/`CI_DEPLOY_PASSWORD` only for jobs that deploy to an environment. */
  deploy_variables_environment_only: number;
  updated_at: string;
}

/** The self-signed X.509 certificate wrapping a registry signing key (the registry's `rootcertbundle`). */
export interface RegistryCertificatesTable {
  /** The signing key's kid (RFC 7638 thumbprint). */
  kid: string;
  certificate_pem: string;
  created_at: string;
}

export interface Database
  extends
    CiTables,
    OAuthTables,
    PipelineTriggerTables,
    AiWorkflowTables,
    CiVariableTables,
    WorkflowRevocationTables {
  users: UsersTable;
  namespaces: NamespacesTable;
  projects: ProjectsTable;
  members: MembersTable;
  access_tokens: AccessTokensTable;
  signing_keys: SigningKeysTable;
  sessions: SessionsTable;
  audit_events: AuditEventsTable;
  deploy_tokens: DeployTokensTable;
  application_settings: ApplicationSettingsTable;
  project_deploy_settings: ProjectDeploySettingsTable;
  registry_certificates: RegistryCertificatesTable;
  licenses: LicensesTable;
  cloud_connector_states: CloudConnectorStatesTable;
  add_on_seats: AddOnSeatsTable;
}

export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type Namespace = Selectable<NamespacesTable>;
export type Project = Selectable<ProjectsTable>;
export type Member = Selectable<MembersTable>;
export type AccessToken = Selectable<AccessTokensTable>;
export type SigningKey = Selectable<SigningKeysTable>;
export type Session = Selectable<SessionsTable>;
export type AuditEvent = Selectable<AuditEventsTable>;
export type DeployToken = Selectable<DeployTokensTable>;
export type ProjectDeploySettings = Selectable<ProjectDeploySettingsTable>;
