import type { FastifyInstance } from 'fastify';

/** One route as a client names it: method and URL pattern (`GET /api/v4/projects/:id`). */
export interface RouteEntry {
  method: string;
  url: string;
}

const TABLES = new WeakMap<FastifyInstance, RouteEntry[]>();

/**
 * Records every route the app registers from now on (call it before any route), so tests and the
 * documents that must cover every route (the OpenAPI document, docs/gitlab-compatibility.md) walk a
 * role's whole route table instead of a hand-kept list that misses the next route.
 */
export function recordRouteTable(app: FastifyInstance): void {
  const table: RouteEntry[] = [];
  TABLES.set(app, table);
  app.addHook('onRoute', (route) => {
    // Fastify adds a HEAD twin to every GET; it is not a route of its own.
    for (const method of [route.method].flat()) if (method !== 'HEAD') table.push({ method, url: route.url });
  });
}

/**
 * The routes an app built by `createHttpApp` serves, in registration order.
 *
 * @example
 * routeTableOf(app).filter((route) => route.method === 'GET');
 */
export function routeTableOf(app: FastifyInstance): readonly RouteEntry[] {
  return TABLES.get(app) ?? [];
}
