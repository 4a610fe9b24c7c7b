import type { FastifyInstance } from 'fastify';
import { issueUserToken, SdkError, type TokenAuthority } from '@tessera/sdk';
import { replyWithSdkError } from '@tessera/sdk/fastify';

/** User tokens the gateway mints live one hour, as GitLab's do. */
const USER_TOKEN_LIFETIME_SECONDS = 3600;

/**
 * `POST /v1/code/user_access_token`: an instance token (with `complete_code`, as GitLab's gateway
 * requires) is exchanged for a gateway-signed token for the user named by `X-Gitlab-Global-User-Id`:
 * `iss` = `aud` = the gateway, scopes = the instance's ∩ the gateway's unit primitives, 1 h.
 * A token the gateway signed itself is refused: user tokens must not breed more user tokens.
 */
export function registerUserAccessTokenRoute(
  app: FastifyInstance,
  options: { authority: TokenAuthority; grantableScopes: readonly string[] },
): void {
  app.post(
    '/v1/code/user_access_token',
    { config: { scopes: ['complete_code'] } },
    async (request, reply) => {
      const caller = request.cloudConnector;
      if (caller.iss === options.authority.issuer) {
        const refusal = new SdkError(
          'insufficient_scope',
          'missing_scope',
          'a user access token requires an instance token',
        );
        return replyWithSdkError(reply, refusal);
      }
      const userId = request.headers['x-gitlab-global-user-id'];
      if (typeof userId !== 'string' || userId.trim() === '') {
        return reply.code(422).send({
          error: 'invalid_request',
          error_description: 'the X-Gitlab-Global-User-Id header is required',
        });
      }
      try {
        const { token, expiresAt } = await issueUserToken(options.authority, {
          caller,
          userId,
          grantableScopes: options.grantableScopes,
          expiresInSeconds: USER_TOKEN_LIFETIME_SECONDS,
        });
        return { token, expires_at: expiresAt };
      } catch (error) {
        if (error instanceof SdkError && error.code !== 'invalid_configuration')
          return replyWithSdkError(reply, error);
        throw error;
      }
    },
  );
}
