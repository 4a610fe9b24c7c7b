import type { OAuthApplication } from '../../store/oauth.tables.ts';
import { storedList, storedScopes } from '../../tokens/oauth/oauth-scopes.ts';

/**
 * GitLab's application entity (`id`, `application_id` = the client id, `application_name`,
 * `callback_url` — several URIs one per line — and `confidential`), plus Tessera's `scopes`,
 * `trusted`, `dynamic_user_scope` and `created_at`. `secret` only in the answer that creates or renews it.
 */
export function presentOAuthApplication(application: OAuthApplication, secret?: string) {
  return {
    id: application.id,
    application_id: application.uid,
    application_name: application.name,
    ...(secret !== undefined ? { secret } : {}),
    callback_url: storedList(application.redirect_uris).join('\n'),
    confidential: application.confidential === 1,
    scopes: storedScopes(application.scopes),
    trusted: application.trusted === 1,
    dynamic_user_scope: application.dynamic_user_scope === 1,
    created_at: application.created_at,
  };
}
