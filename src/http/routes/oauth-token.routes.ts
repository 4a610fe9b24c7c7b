import type { FastifyInstance } from 'fastify';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { redeemAuthorizationCode } from '../../tokens/oauth/authorization-code.grant.ts';
import { authenticateClient } from '../../tokens/oauth/client-authentication.ts';
import { startDeviceAuthorization } from '../../tokens/oauth/device-authorization.service.ts';
import { DEVICE_CODE_GRANT_TYPE, redeemDeviceCode } from '../../tokens/oauth/device-code.grant.ts';
import { oauthDeps } from '../../tokens/oauth/oauth-deps.ts';
import { OAuthError } from '../../tokens/oauth/oauth-error.ts';
import { parseScopes } from '../../tokens/oauth/oauth-scopes.ts';
import { redeemRefreshToken } from '../../tokens/oauth/refresh-token.grant.ts';
import { exchangeToken, TOKEN_EXCHANGE_GRANT_TYPE } from '../../tokens/oauth/token-exchange.grant.ts';
import { authenticatorFor } from '../../tokens/token-authenticator.ts';
import { introspectToken } from '../../tokens/oauth/token-introspection.ts';
import { revokePresentedToken } from '../../tokens/oauth/token-revocation.ts';
import {
  clientActor,
  clientCredentialsOf,
  formParams,
  installOAuthErrorHandler,
  noStore,
  param,
  repeated,
} from './oauth-request.ts';

/**
 * The OAuth endpoints clients call directly, at the platform's paths: the token endpoint (authorization
 * code with PKCE, rotating refresh token, device code, RFC 8693 token exchange), revocation (RFC 7009), introspection (RFC
 * 7662) and device authorization (RFC 8628). Every one authenticates the client first.
 */
export async function oauthTokenRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const deps = oauthDeps(options.context);
  installOAuthErrorHandler(app);
  const authenticators = options.context.tokenAuthenticators;
  const prefix = options.context.settings.tokenPrefix;

  const authenticated = async (request: Parameters<typeof formParams>[0]) => {
    const params = formParams(request);
    const application = await authenticateClient(deps, clientCredentialsOf(request, params));
    return { params, application };
  };

  app.post('/oauth/token', async (request, reply) => {
    noStore(reply);
    const { params, application } = await authenticated(request);
    const actor = clientActor(request, application);
    const grantType = param(params, 'grant_type');
    switch (grantType) {
      case 'authorization_code':
        return redeemAuthorizationCode(deps, actor, application, {
          code: param(params, 'code'),
          redirectUri: param(params, 'redirect_uri'),
          codeVerifier: param(params, 'code_verifier'),
        });
      case 'refresh_token':
        return redeemRefreshToken(deps, actor, application, {
          refreshToken: param(params, 'refresh_token'),
          scopes: parseScopes(param(params, 'scope')),
        });
      case DEVICE_CODE_GRANT_TYPE:
        return redeemDeviceCode(deps, actor, application, param(params, 'device_code'));
      case TOKEN_EXCHANGE_GRANT_TYPE:
        return exchangeToken(
          options.context,
          actor,
          application,
          {
            subjectToken: param(params, 'subject_token'),
            subjectTokenType: param(params, 'subject_token_type'),
            actorToken: param(params, 'actor_token'),
            actorTokenType: param(params, 'actor_token_type'),
            requestedTokenType: param(params, 'requested_token_type'),
            scopes: parseScopes(param(params, 'scope')),
            audience: repeated(params, 'audience'),
          },
          // The actor's own token, judged by the authenticator of its prefix like any API credential.
          async (token) =>
            (await authenticatorFor(authenticators, token, prefix)?.authenticate(token, {
              ip: request.ip,
            })) ?? null,
        );
      case undefined:
        throw new OAuthError('invalid_request', 'Missing required parameter: grant_type.');
      default:
        throw new OAuthError('unsupported_grant_type', 'The authorization grant type is not supported.');
    }
  });

  app.post('/oauth/revoke', async (request, reply) => {
    const { params, application } = await authenticated(request);
    const token = param(params, 'token');
    if (!token) throw new OAuthError('invalid_request', 'Missing required parameter: token.');
    await revokePresentedToken(deps, clientActor(request, application), application, token);
    // 200 whether or not there was such a token (RFC 7009 §2.2).
    return reply.status(200).send({});
  });

  app.post('/oauth/introspect', async (request, reply) => {
    noStore(reply);
    const { params, application } = await authenticated(request);
    const token = param(params, 'token');
    if (!token) throw new OAuthError('invalid_request', 'Missing required parameter: token.');
    return introspectToken(deps, application, token);
  });

  app.post('/oauth/authorize_device', async (request, reply) => {
    noStore(reply);
    const { params, application } = await authenticated(request);
    return startDeviceAuthorization(deps, application, parseScopes(param(params, 'scope')));
  });
}
