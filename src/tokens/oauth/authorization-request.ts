import { findOAuthApplicationByUid } from '../../store/oauth-applications.repository.ts';
import type { OAuthApplication } from '../../store/oauth.tables.ts';
import type { OAuthDeps } from './oauth-deps.ts';
import { OAuthError } from './oauth-error.ts';
import { grantableScopes, parseScopes, storedList } from './oauth-scopes.ts';
import { isS256Challenge } from './pkce.ts';

/** The parameters of `GET /oauth/authorize` (and of the consent form that repeats them). */
export interface AuthorizationParams {
  client_id?: unknown;
  redirect_uri?: unknown;
  response_type?: unknown;
  scope?: unknown;
  state?: unknown;
  code_challenge?: unknown;
  code_challenge_method?: unknown;
  nonce?: unknown;
}

/** A request that can be answered: consent, or straight to a code for a trusted application. */
export interface ValidAuthorizationRequest {
  application: OAuthApplication;
  redirectUri: string;
  /**
   * Whether the request named its redirect URI. RFC 6749 §4.1.3 asks the token request for it only
   * then; a request that left it out got the only registered URI.
   */
  redirectUriAsked: boolean;
  scopes: string[];
  state: string | undefined;
  codeChallenge: string | undefined;
  nonce: string | undefined;
}

/**
 * How an authorization request turned out. Errors about the client or its redirect URI are shown on
 * the page (redirecting would send the user to an unverified place, RFC 6749 §4.1.2.1); every other
 * error goes back to the redirect URI.
 */
export type AuthorizationCheck =
  | { kind: 'valid'; request: ValidAuthorizationRequest }
  | { kind: 'show_error'; error: OAuthError }
  | { kind: 'redirect_error'; redirectUri: string; state: string | undefined; error: OAuthError };

const MAX_PARAMETER = 2048;

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' && value.length <= MAX_PARAMETER ? value : undefined;

/**
 * Checks an authorization request as named steps, in the RFC's order: the client, the redirect URI
 * (exact match), the response type, the scopes, PKCE (S256; required for public clients), the nonce.
 *
 * @example
 * const check = await checkAuthorizationRequest(deps, request.query);
 * if (check.kind === 'valid') showConsent(check.request);
 */
export async function checkAuthorizationRequest(
  deps: OAuthDeps,
  params: AuthorizationParams,
): Promise<AuthorizationCheck> {
  const clientId = text(params.client_id);
  const application = clientId ? await findOAuthApplicationByUid(deps.db, clientId) : undefined;
  if (!application) {
    return { kind: 'show_error', error: new OAuthError('invalid_client', 'The client is unknown.') };
  }
  const redirectUri = resolveRedirectUri(application, params.redirect_uri);
  if (!redirectUri) {
    return {
      kind: 'show_error',
      error: new OAuthError(
        'invalid_request',
        'The redirect URI is not one registered for this application.',
      ),
    };
  }
  const state = text(params.state);
  const fail = (error: OAuthError): AuthorizationCheck => ({
    kind: 'redirect_error',
    redirectUri,
    state,
    error,
  });

  if (params.response_type !== 'code') {
    return fail(new OAuthError('unsupported_response_type', 'Only response_type=code is supported.'));
  }
  let scopes: string[];
  try {
    scopes = grantableScopes(application, parseScopes(params.scope));
  } catch (error) {
    if (error instanceof OAuthError) return fail(error);
    throw error;
  }
  const codeChallenge = text(params.code_challenge);
  const method = text(params.code_challenge_method);
  if (codeChallenge === undefined) {
    if (application.confidential !== 1) {
      return fail(
        new OAuthError('invalid_request', 'A public client must use PKCE: code_challenge is required.'),
      );
    }
    if (method !== undefined)
      return fail(new OAuthError('invalid_request', 'code_challenge_method without code_challenge.'));
  } else {
    if ((method ?? 'plain') !== 'S256') {
      return fail(new OAuthError('invalid_request', 'Only code_challenge_method=S256 is supported.'));
    }
    if (!isS256Challenge(codeChallenge))
      return fail(new OAuthError('invalid_request', 'The code_challenge is malformed.'));
  }
  if (params.nonce !== undefined && text(params.nonce) === undefined) {
    return fail(new OAuthError('invalid_request', 'The nonce is malformed.'));
  }
  return {
    kind: 'valid',
    request: {
      application,
      redirectUri,
      redirectUriAsked: params.redirect_uri !== undefined && params.redirect_uri !== '',
      scopes,
      state,
      codeChallenge,
      nonce: text(params.nonce),
    },
  };
}

/** The exact registered URI asked for; when none is asked for, the only registered one (RFC 6749 §3.1.2.3). */
function resolveRedirectUri(application: OAuthApplication, asked: unknown): string | undefined {
  const registered = storedList(application.redirect_uris);
  if (asked === undefined || asked === '') return registered.length === 1 ? registered[0] : undefined;
  return typeof asked === 'string' && registered.includes(asked) ? asked : undefined;
}

/**
 * The redirect URI with the answer's parameters added (keeping its own query), per RFC 6749 §4.1.2.
 *
 * @example
 * redirectWith('https://app.example/cb?x=1', { code: 'abc', state: 'xyz' }); // 'https://app.example/cb?x=1&code=abc&state=xyz'
 */
export function redirectWith(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params))
    if (value !== undefined) url.searchParams.append(name, value);
  return url.toString();
}
