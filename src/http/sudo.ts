import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, insufficientScope, notFound, unauthorized } from '../errors/tessera-error.ts';
import { hasAnyScope, type Principal } from '../identity/principal.ts';
import type { Executor } from '../store/database.ts';
import type { User } from '../store/schema.ts';
import { findUserById, findUserByUsernameIgnoringCase } from '../store/users.repository.ts';

/*
 * Sudo, as the platform's REST API has it: an administrator's personal access token or OAuth token
 * with the `sudo` scope acts, for one request, as the user a `sudo` parameter or `Sudo` header names.
 * Everything after authentication (permissions, the answer, the audit actor) then sees that user;
 * the audit actor also names the administrator. Any request that names a user it may not act as is
 * refused: ignoring the header would let a tool that means "act as alice" act as the administrator.
 */

/** Credentials that may carry sudo: the platform's "OAuth or Personal Access Token". */
const SUDO_CREDENTIALS = new Set<Principal['credential']['kind']>([
  'personal_access_token',
  'oauth_access_token',
]);

/** Only the REST API knows sudo; pages, git and OAuth endpoints never act as someone else. */
const API_PREFIX = '/api/';

/** The user a request asks to act as: the `sudo` parameter (query or body) first, then the header. */
export function sudoIdentifier(request: FastifyRequest): string | undefined {
  const fromParams = [request.body, request.query].map((source) =>
    source && typeof source === 'object' ? (source as Record<string, unknown>).sudo : undefined,
  );
  const value = fromParams.find((candidate) => candidate !== undefined) ?? request.headers.sudo;
  if (value === undefined) return undefined;
  if (typeof value === 'number') return String(value);
  // A blank value names nobody, as a blank token header carries no token.
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * Turns an administrator's principal into the principal of the user it acts as, or refuses the
 * request with the platform's answers: 401 without a credential, 403 "Must be admin" for anyone
 * else, 403 for a credential that is not a token, `insufficient_scope` without the `sudo` scope,
 * 404 for a user that does not exist.
 */
export async function sudoPrincipal(
  db: Executor,
  principal: Principal | null,
  identifier: string,
): Promise<Principal> {
  if (!principal) throw unauthorized();
  // A composite identity acts for one named person already; it never acts as a third.
  if (principal.user.is_admin !== 1 || principal.scopedUser || principal.sudoer) {
    throw forbidden('403 Forbidden - Must be admin to use sudo');
  }
  if (!SUDO_CREDENTIALS.has(principal.credential.kind)) {
    throw forbidden(
      '403 Forbidden - Must be authenticated using an OAuth or Personal Access Token to use sudo',
    );
  }
  // A fine-grained token holds no scope at all, `sudo` included.
  if (
    principal.credential.scopes === null ||
    principal.credential.granular ||
    !hasAnyScope(principal, ['sudo'])
  )
    throw insufficientScope('sudo');
  const user = await findSudoUser(db, identifier);
  if (!user) throw notFound(`User with ID or username '${printable(identifier)}'`);
  if (user.state !== 'active') throw forbidden('403 Forbidden - The user you act as is blocked');
  return { user, credential: principal.credential, sudoer: principal.user };
}

async function findSudoUser(db: Executor, identifier: string): Promise<User | undefined> {
  if (/^\d{1,15}$/.test(identifier)) return findUserById(db, Number(identifier));
  return findUserByUsernameIgnoringCase(db, identifier);
}

/** The identifier as the 404 may echo it: short, and only characters a username can have. */
function printable(identifier: string): string {
  const cleaned = identifier.replace(/[^\w.-]/g, '');
  return cleaned.length > 64 ? `${cleaned.slice(0, 64)}…` : cleaned;
}

/**
 * Applies sudo once the body is parsed (a form or JSON body may carry `sudo`) and before any route
 * hook or handler reads the principal.
 */
export function installSudo(app: FastifyInstance, db: Executor): void {
  app.addHook('preValidation', async (request) => {
    if (!request.url.startsWith(API_PREFIX)) return;
    const identifier = sudoIdentifier(request);
    if (identifier === undefined) return;
    request.principal = await sudoPrincipal(db, request.principal, identifier);
  });
}
