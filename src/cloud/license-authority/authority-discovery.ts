/** The license authority's discovery document: what a verifier needs to find its keys. */
export interface AuthorityDiscovery {
  issuer: string;
  jwks_uri: string;
  id_token_signing_alg_values_supported: string[];
  subject_types_supported: string[];
  response_types_supported: string[];
}

/** Where the authority serves its JWKS, relative to its URL (the platform's path, so tools find it). */
export const AUTHORITY_JWKS_PATH = '/oauth/discovery/keys';

/**
 * The discovery document at `<issuer>/.well-known/openid-configuration`. The authority is no OpenID
 * provider — it signs instance tokens only — so it advertises the keys and little else.
 *
 * @example
 * authorityDiscovery('https://customers.example.com').jwks_uri; // 'https://customers.example.com/oauth/discovery/keys'
 */
export function authorityDiscovery(issuer: string): AuthorityDiscovery {
  return {
    issuer,
    jwks_uri: `${issuer}${AUTHORITY_JWKS_PATH}`,
    id_token_signing_alg_values_supported: ['RS256', 'ES256'],
    subject_types_supported: ['public'],
    response_types_supported: [],
  };
}
