/** Scopes the platform's OAuth provider accepts, as GitLab advertises them. */
export const OAUTH_SCOPES = [
  'api',
  'read_api',
  'read_user',
  'read_repository',
  'write_repository',
  'read_registry',
  'write_registry',
  'sudo',
  'openid',
  'profile',
  'email',
  'ai_workflows',
] as const;

/** Claims of the platform's ID tokens (OIDC sign-in), as GitLab advertises them. */
const CLAIMS = [
  'iss',
  'sub',
  'aud',
  'exp',
  'iat',
  'sub_legacy',
  'name',
  'nickname',
  'preferred_username',
  'email',
  'email_verified',
  'website',
  'profile',
  'picture',
  'groups',
  'groups_direct',
  'https://gitlab.org/claims/groups/owner',
  'https://gitlab.org/claims/groups/maintainer',
  'https://gitlab.org/claims/groups/developer',
];

/**
 * How a client authenticates at the token, revocation and introspection endpoints: its secret as HTTP
 * basic or as form fields, or, for a public client (device login, PKCE apps), its `client_id` alone.
 */
const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;

/** The OpenID Provider Metadata document (OpenID Connect Discovery 1.0, §3). */
export interface OpenidConfiguration {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  revocation_endpoint: string;
  introspection_endpoint: string;
  userinfo_endpoint: string;
  /** OpenID Connect RP-Initiated Logout 1.0: where a relying party sends the browser to sign out. */
  end_session_endpoint: string;
  /** RFC 8628 §4: where a device starts the device authorization grant. */
  device_authorization_endpoint: string;
  jwks_uri: string;
  scopes_supported: string[];
  response_types_supported: string[];
  grant_types_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  subject_types_supported: string[];
  id_token_signing_alg_values_supported: string[];
  claims_supported: string[];
  code_challenge_methods_supported: string[];
}

/**
 * The discovery document of the instance. `issuer` is the external URL exactly as configured: relying
 * parties compare it character for character with the `iss` of every token.
 *
 * @example
 * openidConfiguration('https://tessera.example').jwks_uri; // 'https://tessera.example/oauth/discovery/keys'
 */
export function openidConfiguration(externalUrl: string): OpenidConfiguration {
  return {
    issuer: externalUrl,
    authorization_endpoint: `${externalUrl}/oauth/authorize`,
    token_endpoint: `${externalUrl}/oauth/token`,
    revocation_endpoint: `${externalUrl}/oauth/revoke`,
    introspection_endpoint: `${externalUrl}/oauth/introspect`,
    userinfo_endpoint: `${externalUrl}/oauth/userinfo`,
    end_session_endpoint: `${externalUrl}/oauth/logout`,
    device_authorization_endpoint: `${externalUrl}/oauth/authorize_device`,
    jwks_uri: `${externalUrl}/oauth/discovery/keys`,
    scopes_supported: [...OAUTH_SCOPES],
    response_types_supported: ['code'],
    // GitLab also lists `password`; only what Tessera implements is advertised.
    grant_types_supported: [
      'authorization_code',
      'refresh_token',
      'urn:ietf:params:oauth:grant-type:device_code',
      // RFC 8693, for trusted clients only (composite identity).
      'urn:ietf:params:oauth:grant-type:token-exchange',
    ],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    subject_types_supported: ['public'],
    // Both, whatever is configured now: after a change of algorithm, keys of the old one still sign
    // until the next rotation and stay published until their tokens expire.
    id_token_signing_alg_values_supported: ['RS256', 'ES256'],
    claims_supported: [...CLAIMS],
    // `plain` offers no protection against an intercepted code; GitLab lists it, we do not.
    code_challenge_methods_supported: ['S256'],
  };
}

/**
 * The OAuth 2.0 Authorization Server Metadata (RFC 8414): the OpenID document, which it must agree
 * with, plus the per-endpoint client authentication methods RFC 8414 §2 names.
 */
export function authorizationServerMetadata(externalUrl: string) {
  return {
    ...openidConfiguration(externalUrl),
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    introspection_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
  };
}
