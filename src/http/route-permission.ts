import type { FastifyRequest } from 'fastify';
import type { Permission } from '../identity/permission-catalogue.ts';

/*
 * How a route names its entry of the permission catalogue (src/identity/permission-catalogue.ts),
 * beside the route, in its Fastify `config`, so a request can be asked at once which permission its
 * route needs. The catalogue and the checks on it stay free of Fastify; this file is the only bridge.
 */

/** What a route declares: one permission, one chosen per request from a fixed few, or none and why. */
export type RoutePermission =
  | { readonly kind: 'requires'; readonly permission: Permission }
  | {
      readonly kind: 'per_request';
      /** Every permission the route may need: what the catalogue's coverage test counts. */
      readonly permissions: readonly Permission[];
      readonly pick: (request: FastifyRequest) => readonly Permission[];
    }
  | { readonly kind: 'exempt'; readonly reason: string };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's catalogue entry, declared with `requires`, `requiresPerRequest` or `exempt`. */
    permission?: RoutePermission;
  }
}

/**
 * The route needs `permission`.
 *
 * @example
 * app.get('/api/v4/projects/:id/jobs', { config: requires(PERMISSIONS.readJob) }, handler);
 * app.get(url, { config: { jobToken: 'project', ...requires(PERMISSIONS.readPipeline) } }, handler);
 */
export function requires(permission: Permission): { permission: RoutePermission } {
  return { permission: { kind: 'requires', permission } };
}

/**
 * The route needs one or more of `permissions`, decided by the request: `info/refs` is the first
 * step of a clone or of a push, and a registry token request names the actions it wants.
 *
 * @example
 * config: requiresPerRequest([download, push], (request) => [isPush(request) ? push : download])
 */
export function requiresPerRequest(
  permissions: readonly Permission[],
  pick: (request: FastifyRequest) => readonly Permission[],
): { permission: RoutePermission } {
  return { permission: { kind: 'per_request', permissions, pick } };
}

/**
 * The route needs no permission, for the reason given: a probe, a public document, or an endpoint
 * whose credential is not a user's token (the OAuth token exchange, a runner's token, a session form).
 *
 * @example
 * app.get('/-/liveness', { config: exempt('a probe, answered to anyone') }, handler);
 */
export function exempt(reason: string): { permission: RoutePermission } {
  return { permission: { kind: 'exempt', reason } };
}

/** The declaration of the route a request matched; undefined when the route declares none. */
export function routePermissionOf(request: FastifyRequest): RoutePermission | undefined {
  return request.routeOptions.config?.permission;
}

/**
 * The permissions this request needs, read at request time: the route's one entry, the entries its
 * declaration picks for this request, or none for an exempt route (or one that declares nothing,
 * which the route-permissions test refuses).
 *
 * @example
 * app.addHook('preHandler', async (request) => {
 *   for (const permission of permissionOf(request)) assertHeld(request.principal, permission);
 * });
 */
export function permissionOf(request: FastifyRequest): readonly Permission[] {
  const declared = routePermissionOf(request);
  if (!declared || declared.kind === 'exempt') return [];
  return declared.kind === 'requires' ? [declared.permission] : declared.pick(request);
}

/** The permissions a declaration may ever name (all of a per-request route's choices). */
export function permissionsDeclaredBy(declared: RoutePermission | undefined): readonly Permission[] {
  if (!declared || declared.kind === 'exempt') return [];
  return declared.kind === 'requires' ? [declared.permission] : declared.permissions;
}
