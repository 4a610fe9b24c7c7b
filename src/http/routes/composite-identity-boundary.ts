import type { FastifyInstance } from 'fastify';
import { forbidden } from '../../errors/tessera-error.ts';
import { compositeIdentityOf } from '../../identity/composite-identity.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on routes that create, rotate or hand out a credential: no composite identity may call them. */
    createsCredential?: boolean;
  }
}

/** Route options marking a route that creates, rotates or hands out a credential. */
export const CREATES_CREDENTIAL = { config: { createsCredential: true } } as const;

/** What a composite identity is told on such a route. */
export const COMPOSITE_CREDENTIAL_MESSAGE = '403 Forbidden - a composite identity cannot create credentials';

/**
 * An agent acting as a service account for a person must never mint credentials of its own, whatever
 * scopes its token carries: everything it may use is made for it before it starts, and dies with its
 * workflow. Routes marked {@link CREATES_CREDENTIAL} refuse a composite-identity principal with 403
 * before their handler runs.
 */
export function installCompositeIdentityBoundary(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => {
    if (request.routeOptions.config?.createsCredential !== true) return;
    if (compositeIdentityOf(request.principal?.user)) throw forbidden(COMPOSITE_CREDENTIAL_MESSAGE);
  });
}
