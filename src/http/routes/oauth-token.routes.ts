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
import { parameters } from '../route-parameters.ts';
import { exempt } from '../route-permission.ts';

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

  app.post(
    '/oauth/token',
    {
      config: exempt('the OAuth 2 token exchange: the client and its grant are the credentials'),
      schema: parameters(
        {
          client_id: { type: 'string', description: 'The client, when not authenticated with HTTP Basic' },
          client_secret: { type: 'string', description: 'Its secret (client_secret_post)' },
          grant_type: {
            type: 'string',
            required: true,
            enum: ['authorization_code', 'refresh_token', DEVICE_CODE_GRANT_TYPE, TOKEN_EXCHANGE_GRANT_TYPE],
            description: 'The grant',
          },
          code: { type: 'string', description: 'authorization_code: the code' },
          redirect_uri: {
            type: 'string',
            format: 'uri',
            description: 'authorization_code: the redirect URI the code was asked with',
          },
          code_verifier: { type: 'string', description: 'authorization_code: the PKCE verifier' },
          refresh_token: { type: 'string', description: 'refresh_token: the refresh token' },
          scope: {
            type: 'string',
            description: 'refresh_token, token exchange: fewer scopes, space-separated',
          },
          device_code: { type: 'string', description: 'device_code: the device code' },
          subject_token: { type: 'string', description: "token exchange: the person's token" },
          subject_token_type: {
            type: 'string',
            description: 'token exchange: access_token or id_token (RFC 8693 URN)',
          },
          actor_token: { type: 'string', description: "token exchange: the service account's own token" },
          actor_token_type: { type: 'string', description: 'token exchange: access_token (RFC 8693 URN)' },
          requested_token_type: { type: 'string', description: 'token exchange: access_token only' },
          audience: { type: 'array', items: 'string', description: 'token exchange: this issuer only' },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
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
    },
  );

  app.post(
    '/oauth/revoke',
    {
      config: exempt('OAuth 2 revocation: the client authenticates itself and names the token'),
      schema: parameters(
        {
          client_id: { type: 'string', description: 'The client, when not authenticated with HTTP Basic' },
          client_secret: { type: 'string', description: 'Its secret (client_secret_post)' },
          token: { type: 'string', required: true, description: 'The access or refresh token to revoke' },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      const { params, application } = await authenticated(request);
      const token = param(params, 'token');
      if (!token) throw new OAuthError('invalid_request', 'Missing required parameter: token.');
      await revokePresentedToken(deps, clientActor(request, application), application, token);
      // 200 whether or not there was such a token (RFC 7009 §2.2).
      return reply.status(200).send({});
    },
  );

  app.post(
    '/oauth/introspect',
    {
      config: exempt('OAuth 2 introspection: the client authenticates itself and names the token'),
      schema: parameters(
        {
          client_id: { type: 'string', description: 'The client, when not authenticated with HTTP Basic' },
          client_secret: { type: 'string', description: 'Its secret (client_secret_post)' },
          token: { type: 'string', required: true, description: 'The token to inspect' },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      noStore(reply);
      const { params, application } = await authenticated(request);
      const token = param(params, 'token');
      if (!token) throw new OAuthError('invalid_request', 'Missing required parameter: token.');
      return introspectToken(deps, application, token);
    },
  );

  app.post(
    '/oauth/authorize_device',
    {
      config: exempt('the device grant’s start: the client asks for a user code'),
      schema: parameters(
        {
          client_id: { type: 'string', description: 'The client, when not authenticated with HTTP Basic' },
          client_secret: { type: 'string', description: 'Its secret (client_secret_post)' },
          scope: { type: 'string', description: 'Scopes, space-separated' },
        },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      noStore(reply);
      const { params, application } = await authenticated(request);
      return startDeviceAuthorization(deps, application, parseScopes(param(params, 'scope')));
    },
  );
}
