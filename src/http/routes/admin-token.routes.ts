import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TesseraError, badRequest, forbidden, notFound } from '../../errors/tessera-error.ts';
import type { Principal } from '../../identity/principal.ts';
import type { InstanceContext } from '../../runtime/instance-context.ts';
import { tokenInspectors } from '../../runtime/token-authenticators.ts';
import { inspectorFor, type TokenInspector } from '../../tokens/access/token-inspector.ts';
import { apiParams } from '../api-params.ts';
import { READ_API, WRITE_API, actorOf, requireScope } from '../authenticate.ts';
import { parameters } from '../route-parameters.ts';
import { PERMISSIONS } from '../../identity/permission-catalogue.ts';
import { requires } from '../route-permission.ts';

/** Longer than any token we issue; refused before a digest is spent on it. */
const MAX_TOKEN_LENGTH = 1024;

/**
 * `POST /admin/token` identifies any token from its plaintext (type, owner, scopes, state) and
 * `DELETE /admin/token` revokes it: the administrator's answer to "we found this secret in a log".
 * Token types are recognised by prefix; one without an inspector is a 422.
 */
export async function adminTokenRoutes(
  app: FastifyInstance,
  options: { context: InstanceContext },
): Promise<void> {
  const inspectors: TokenInspector[] = tokenInspectors(options.context);
  const instancePrefix = options.context.settings.tokenPrefix;

  const admin = (request: FastifyRequest, scopes: readonly string[]): Principal => {
    const principal = requireScope(request, scopes);
    if (!principal.user.is_admin) throw forbidden();
    return principal;
  };

  const target = (request: FastifyRequest): { inspector: TokenInspector; plaintext: string } => {
    const plaintext = apiParams(request).token;
    if (typeof plaintext !== 'string' || plaintext.length === 0) throw badRequest('token', 'is missing');
    if (plaintext.length > MAX_TOKEN_LENGTH) throw notFound('Token');
    const inspector = inspectorFor(inspectors, plaintext, instancePrefix);
    if (!inspector)
      throw new TesseraError('unprocessable', '422 Unprocessable Entity - Unsupported token type');
    return { inspector, plaintext };
  };

  app.post(
    '/api/v4/admin/token',
    {
      config: requires(PERMISSIONS.inspectToken),
      schema: parameters(
        { token: { type: 'string', required: true, description: 'The token, in plain text' } },
        { in: 'body' },
      ),
    },
    async (request) => {
      admin(request, READ_API);
      const { inspector, plaintext } = target(request);
      const inspection = await inspector.inspect(plaintext);
      if (!inspection) throw notFound('Token');
      return inspection;
    },
  );

  app.delete(
    '/api/v4/admin/token',
    {
      config: requires(PERMISSIONS.revokeToken),
      schema: parameters(
        { token: { type: 'string', required: true, description: 'The token, in plain text' } },
        { in: 'body' },
      ),
    },
    async (request, reply) => {
      admin(request, WRITE_API);
      const { inspector, plaintext } = target(request);
      const revoked = await inspector.revoke(plaintext, actorOf(request));
      if (!revoked) throw notFound('Token');
      return reply.status(204).send();
    },
  );
}
