import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { OAuthError } from '../../tokens/oauth/oauth-error.ts';
import { userinfoClaims } from '../../tokens/oauth/oidc-claims.ts';
import { installOAuthErrorHandler, noStore } from './oauth-request.ts';
import { exempt } from '../route-permission.ts';

/**
 * `GET|POST /oauth/userinfo` (OpenID Connect Core §5.3): the claims of the user an OAuth access token
 * with the `openid` scope belongs to. Other credentials are not OIDC tokens and get `invalid_token`.
 */
export async function oauthUserinfoRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const { externalUrl } = options.context.settings;
  installOAuthErrorHandler(app);

  const userinfo = async (request: FastifyRequest, reply: Parameters<typeof noStore>[0]) => {
    noStore(reply);
    const principal = request.principal;
    if (!principal || principal.credential.kind !== 'oauth_access_token') {
      throw new OAuthError('invalid_token', 'An OAuth access token is required.');
    }
    const scopes = principal.credential.scopes ?? [];
    if (!scopes.includes('openid'))
      throw new OAuthError('insufficient_scope', 'The openid scope is required.');
    return userinfoClaims(principal.user, scopes, externalUrl);
  };
  app.get(
    '/oauth/userinfo',
    { config: exempt('OpenID Connect userinfo: answered to OAuth access tokens by their openid scope') },
    userinfo,
  );
  app.post(
    '/oauth/userinfo',
    { config: exempt('OpenID Connect userinfo: answered to OAuth access tokens by their openid scope') },
    userinfo,
  );
}
