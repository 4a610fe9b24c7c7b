import type { FastifyRequest } from 'fastify';
import type { User } from '../store/schema.ts';
import { READ_API, requireScope } from './authenticate.ts';

/**
 * The user behind a read request that anonymous callers may also make (public projects and groups):
 * null when no credential came, the user when it carries one of `scopes`, a 403 when it does not.
 */
export function optionalReader(request: FastifyRequest, scopes: readonly string[] = READ_API): User | null {
  if (!request.principal) return null;
  return requireScope(request, scopes).user;
}
