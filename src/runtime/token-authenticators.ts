import type { TokenAuthenticator } from '../tokens/token-authenticator.ts';
import type { InstanceContext } from './instance-context.ts';

/** Every opaque token kind the instance accepts on its API. Each credential module adds its own here. */
export function tokenAuthenticators(_context: InstanceContext): TokenAuthenticator[] {
  return [];
}
