import { AccessTokenAuthenticator } from '../tokens/access/access-token.authenticator.ts';
import { accessTokenDeps } from '../tokens/access/access-token-deps.ts';
import type { TokenAuthenticator } from '../tokens/token-authenticator.ts';
import type { InstanceContext } from './instance-context.ts';

/** Every opaque token kind the instance accepts on its API. Each credential module adds its own here. */
export function tokenAuthenticators(context: InstanceContext): TokenAuthenticator[] {
  return [new AccessTokenAuthenticator(accessTokenDeps(context))];
}
