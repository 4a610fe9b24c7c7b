import { AccessTokenAuthenticator } from '../tokens/access/access-token.authenticator.ts';
import { accessTokenDeps } from '../tokens/access/access-token-deps.ts';
import { tokenAsPassword, type BasicCredentialResolver } from '../tokens/basic-credentials.ts';
import type { TokenAuthenticator } from '../tokens/token-authenticator.ts';
import type { InstanceContext } from './instance-context.ts';

/** Every opaque token kind the instance accepts on its API. Each credential module adds its own here. */
export function tokenAuthenticators(context: InstanceContext): TokenAuthenticator[] {
  return [new AccessTokenAuthenticator(accessTokenDeps(context))];
}

/**
 * Every kind of HTTP basic credential git and the registry accept, tried in order (the first that
 * claims a username/password pair judges it). Deploy tokens, CI job tokens and OAuth tokens add theirs
 * here; access tokens work as the password with any username.
 */
export function basicCredentialResolvers(context: InstanceContext): BasicCredentialResolver[] {
  return context.tokenAuthenticators.map((authenticator) =>
    tokenAsPassword(authenticator, context.settings.tokenPrefix),
  );
}
