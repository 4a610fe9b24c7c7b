import { constantTimeEqual } from '../../crypto/secrets.ts';
import { findOAuthApplicationByUid } from '../../store/oauth-applications.repository.ts';
import type { OAuthApplication } from '../../store/oauth.tables.ts';
import type { OAuthDeps } from './oauth-deps.ts';
import { OAuthError } from './oauth-error.ts';

/** What a request to the token, revocation, introspection or device endpoint says about its client. */
export interface ClientCredentials {
  clientId: string | undefined;
  clientSecret: string | undefined;
  /** True when they came as HTTP basic (`client_secret_basic`); false for form fields (`client_secret_post`). */
  viaBasic: boolean;
}

/** Longer than any client id or secret we issue: refused before any digest. */
const MAX_CREDENTIAL_LENGTH = 512;

const failed = (credentials: ClientCredentials) =>
  new OAuthError(
    'invalid_client',
    'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.',
    credentials.viaBasic,
  );

/**
 * The application a request authenticates as. A confidential client must present its secret (basic or
 * form); a public client only its `client_id`. A secret, when presented, must be right whichever kind
 * the client is. Every failure is the same `invalid_client`.
 *
 * @example
 * const application = await authenticateClient(deps, { clientId, clientSecret, viaBasic: true });
 */
export async function authenticateClient(
  deps: OAuthDeps,
  credentials: ClientCredentials,
): Promise<OAuthApplication> {
  const { clientId, clientSecret } = credentials;
  if (!clientId || clientId.length > MAX_CREDENTIAL_LENGTH) throw failed(credentials);
  if (clientSecret !== undefined && clientSecret.length > MAX_CREDENTIAL_LENGTH) throw failed(credentials);
  const application = await findOAuthApplicationByUid(deps.db, clientId);
  if (!application) throw failed(credentials);
  if (clientSecret === undefined || clientSecret === '') {
    if (application.confidential === 1) throw failed(credentials);
    return application;
  }
  if (!constantTimeEqual(deps.digester.digest(clientSecret), application.secret_digest))
    throw failed(credentials);
  return application;
}
